#include "cloison/server/wire_list_cache.h"

namespace cloison::server {
namespace {

constexpr char kItemsFieldTag = 0x0a;  // field 1, length-delimited

void AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
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
  wire_.push_back(kItemsFieldTag);
  AppendVarint(wire_, item.bytes.size());
  wire_.append(item.bytes);
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
