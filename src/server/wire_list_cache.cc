#include "cloison/server/wire_list_cache.h"

#include "google/protobuf/wire_format_lite.h"

namespace cloison::server {
namespace {

using google::protobuf::internal::WireFormatLite;

constexpr int kItemsField = 1;

// Appends `bytes` as field 1 of a message: its tag, its length, the bytes.
void AppendItemsField(std::string& out, const std::string& bytes) {
  const size_t offset = out.size();
  out.resize(offset + WireFormatLite::TagSize(kItemsField, WireFormatLite::TYPE_BYTES) +
             WireFormatLite::LengthDelimitedSize(bytes.size()));
  WireFormatLite::WriteBytesToArray(kItemsField, bytes, reinterpret_cast<uint8_t*>(out.data() + offset));
}

}  // namespace

WireListCache::Walk::Walk(WireListCache& cache) : cache_(cache) {
  cache_.mu_.Lock();
  ++cache_.walks_;
  wire_.reserve(cache_.last_answer_bytes_);
}

WireListCache::Walk::~Walk() { cache_.mu_.Unlock(); }

void WireListCache::Walk::Append(const std::string& id, int64_t version,
                                 absl::FunctionRef<void(std::string&)> serialize) {
  cache_.mu_.AssertHeld();
  auto [it, inserted] = cache_.items_.try_emplace(id);
  Item& item = it->second;
  if (inserted || item.version != version) {
    item.bytes.clear();
    serialize(item.bytes);
    item.version = version;
  }
  item.seen = cache_.walks_;
  AppendItemsField(wire_, item.bytes);
}

std::string WireListCache::Walk::Finish() {
  cache_.mu_.AssertHeld();
  // More entries than records: some ids are gone. Keep what this walk appended (the matching
  // records; the others are serialized again when a later answer needs them).
  if (cache_.items_.size() > records_) {
    absl::erase_if(cache_.items_, [&](const auto& entry) { return entry.second.seen != cache_.walks_; });
  }
  cache_.last_answer_bytes_ = wire_.size();
  return std::move(wire_);
}

}  // namespace cloison::server
