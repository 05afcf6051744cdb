#include "cloison/image/layer_unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cloison/image/in_root_fs.h"
#include "cloison/image/layer_writer.h"
#include "cloison/util/logging.h"
#include "cloison/util/unique_fd.h"

namespace cloison::image {
namespace {

constexpr size_t kReadBlockSize = 1 << 16;
constexpr absl::string_view kWhiteoutPrefix = ".wh.";
constexpr absl::string_view kWhiteoutMetaPrefix = ".wh..wh.";
constexpr absl::string_view kOpaqueMarker = ".wh..wh..opq";
// chown reads (uid_t)-1 as "leave unchanged", so the largest usable id is one less.
constexpr la_int64_t kMaxId = std::numeric_limits<uint32_t>::max() - 1;
// The xattr namespace a layer may not write: the host's privileged metadata, which no container
// without CAP_SYS_ADMIN on the host can read anyway. overlayfs keeps its own there
// (trusted.overlay.opaque, .redirect, .metacopy, .origin, .upper...) and obeys it in a
// lowerdir; opaque directories come from the ".wh..wh..opq" marker instead (MarkOpaque).
constexpr absl::string_view kHostOnlyXattrPrefix = "trusted.";

// The xattrs of one layer left out, for one warning per layer.
struct SkippedXattrs {
  uint64_t count = 0;
  std::string first;  // "/path: name" of the first one
};

struct ArchiveFree {
  void operator()(archive* reader) const { archive_read_free(reader); }
};

absl::Status ArchiveError(archive* reader, absl::string_view what) {
  const char* message = archive_error_string(reader);
  return absl::DataLossError(absl::StrCat(what, ": ", message ? message : "unknown error"));
}

absl::Status EntryError(absl::string_view path, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("/", path, ": ", problem));
}

std::string JoinPath(const std::string& parent, absl::string_view name) {
  return parent.empty() ? std::string(name) : absl::StrCat(parent, "/", name);
}

// True when `path` is aufs bookkeeping (a ".wh..wh." component other than a final opaque
// marker), which images may carry and overlayfs has no use for.
bool IsAufsMetadata(const std::vector<absl::string_view>& components) {
  for (size_t i = 0; i < components.size(); ++i) {
    const bool opaque_marker = i + 1 == components.size() && components[i] == kOpaqueMarker;
    if (!opaque_marker && absl::StartsWith(components[i], kWhiteoutMetaPrefix)) return true;
  }
  return false;
}

absl::Status SetType(archive_entry* entry, LayerEntry& layer_entry) {
  if (const char* hardlink = archive_entry_hardlink(entry)) {
    layer_entry.type = LayerEntry::Type::kHardlink;
    layer_entry.link_target = CleanPath(hardlink);
    return absl::OkStatus();
  }
  switch (archive_entry_filetype(entry)) {
    case AE_IFREG:
      layer_entry.type = LayerEntry::Type::kRegular;
      layer_entry.size = archive_entry_size(entry);
      return absl::OkStatus();
    case AE_IFDIR:
      layer_entry.type = LayerEntry::Type::kDirectory;
      return absl::OkStatus();
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(entry);
      if (target == nullptr) return EntryError(layer_entry.path, "symlink without a target");
      layer_entry.type = LayerEntry::Type::kSymlink;
      layer_entry.link_target = target;
      return absl::OkStatus();
    }
    case AE_IFCHR:
    case AE_IFBLK:
      layer_entry.type = archive_entry_filetype(entry) == AE_IFCHR ? LayerEntry::Type::kCharDevice
                                                                   : LayerEntry::Type::kBlockDevice;
      layer_entry.rdev = makedev(archive_entry_rdevmajor(entry), archive_entry_rdevminor(entry));
      return absl::OkStatus();
    case AE_IFIFO:
      layer_entry.type = LayerEntry::Type::kFifo;
      return absl::OkStatus();
    default:
      return EntryError(layer_entry.path, absl::StrCat("unsupported entry type (mode 0x",
                                                       absl::Hex(archive_entry_mode(entry)), ")"));
  }
}

absl::StatusOr<LayerEntry> ToLayerEntry(archive_entry* entry, const std::string& path, SkippedXattrs& skipped) {
  LayerEntry layer_entry;
  layer_entry.path = path;
  if (absl::Status typed = SetType(entry, layer_entry); !typed.ok()) return typed;

  const la_int64_t uid = archive_entry_uid(entry);
  const la_int64_t gid = archive_entry_gid(entry);
  if (uid < 0 || uid > kMaxId || gid < 0 || gid > kMaxId) {
    return EntryError(path, absl::StrCat("owner ", uid, ":", gid, " out of range"));
  }
  layer_entry.uid = static_cast<uid_t>(uid);
  layer_entry.gid = static_cast<gid_t>(gid);
  layer_entry.mode = archive_entry_mode(entry) & 07777;
  if (archive_entry_mtime_is_set(entry)) {
    layer_entry.mtime = timespec{archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)};
  }
  if (archive_entry_atime_is_set(entry)) {
    layer_entry.atime = timespec{archive_entry_atime(entry), archive_entry_atime_nsec(entry)};
  }

  archive_entry_xattr_reset(entry);
  const char* key = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (archive_entry_xattr_next(entry, &key, &value, &size) == ARCHIVE_OK) {
    if (absl::StartsWith(key, kHostOnlyXattrPrefix)) {
      if (skipped.count++ == 0) skipped.first = absl::StrCat("/", path, ": ", key);
      continue;
    }
    layer_entry.xattrs.emplace_back(key, size == 0 ? std::string()
                                                   : std::string(static_cast<const char*>(value), size));
  }
  return layer_entry;
}

absl::Status UnpackEntry(archive* reader, archive_entry* entry, LayerWriter& writer, SkippedXattrs& skipped) {
  const char* raw_path = archive_entry_pathname(entry);
  if (raw_path == nullptr) return absl::InvalidArgumentError("entry without a usable path name");
  const std::string path = CleanPath(raw_path);
  const std::vector<absl::string_view> components = absl::StrSplit(path, '/', absl::SkipEmpty());
  if (IsAufsMetadata(components)) {
    spdlog::debug("layer entry /{}: aufs metadata, skipped", path);
    return absl::OkStatus();
  }
  for (size_t i = 0; i + 1 < components.size(); ++i) {
    if (absl::StartsWith(components[i], kWhiteoutPrefix)) {
      return EntryError(path, "whiteout name used as a directory");
    }
  }

  const auto [parent, name] = SplitParent(path);
  if (name == kOpaqueMarker) return writer.MarkOpaque(parent);
  if (absl::StartsWith(name, kWhiteoutPrefix)) {
    const absl::string_view hidden = absl::string_view(name).substr(kWhiteoutPrefix.size());
    if (hidden.empty() || hidden == "." || hidden == "..") return EntryError(path, "invalid whiteout name");
    return writer.WriteWhiteout(JoinPath(parent, hidden));
  }
  if (path.empty()) {
    // containerd ignores the "./" entry many layers start with; the root keeps its metadata.
    if (archive_entry_filetype(entry) == AE_IFDIR && archive_entry_hardlink(entry) == nullptr) {
      return absl::OkStatus();
    }
    return EntryError(path, "non-directory entry names the layer root");
  }

  absl::StatusOr<LayerEntry> layer_entry = ToLayerEntry(entry, path, skipped);
  if (!layer_entry.ok()) return layer_entry.status();
  auto read_block = [reader, &path]() -> absl::StatusOr<std::optional<DataBlock>> {
    const void* data = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    const int result = archive_read_data_block(reader, &data, &size, &offset);
    if (result == ARCHIVE_EOF) return std::nullopt;
    if (result != ARCHIVE_OK && result != ARCHIVE_WARN) {
      return ArchiveError(reader, absl::StrCat("/", path, ": reading content"));
    }
    return DataBlock{static_cast<const char*>(data), size, offset};
  };
  return writer.Write(*layer_entry, read_block);
}

absl::StatusOr<UnpackStats> Unpack(const std::string& blob_path, const std::string& target_dir) {
  util::UniqueFd blob(open(blob_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!blob.valid()) return absl::ErrnoToStatus(errno, "opening layer blob");
  absl::StatusOr<LayerWriter> writer = LayerWriter::Create(target_dir);
  if (!writer.ok()) return writer.status();

  std::unique_ptr<archive, ArchiveFree> reader(archive_read_new());
  if (!reader) return absl::ResourceExhaustedError("allocating an archive reader");
  // Only the layer media types OCI defines: tar (ustar, pax and GNU), plain, gzip or zstd,
  // told apart by magic bytes. Other filters would hand untrusted data to exotic decoders or
  // external programs.
  if (archive_read_support_filter_gzip(reader.get()) != ARCHIVE_OK ||
      archive_read_support_filter_zstd(reader.get()) != ARCHIVE_OK ||
      archive_read_support_format_tar(reader.get()) != ARCHIVE_OK) {
    return ArchiveError(reader.get(), "libarchive lacks built-in gzip, zstd or tar support");
  }
  if (archive_read_open_fd(reader.get(), blob.get(), kReadBlockSize) != ARCHIVE_OK) {
    return ArchiveError(reader.get(), "reading the archive");
  }

  UnpackStats stats;
  SkippedXattrs skipped;
  for (;;) {
    archive_entry* entry = nullptr;
    const int result = archive_read_next_header(reader.get(), &entry);
    if (result == ARCHIVE_EOF) break;
    if (result != ARCHIVE_OK && result != ARCHIVE_WARN) {
      return ArchiveError(reader.get(), absl::StrCat("reading the header after entry ", stats.entries));
    }
    if (result == ARCHIVE_WARN) {
      // Mostly UTF-8 names the daemon's C locale cannot represent; libarchive then returns
      // their raw bytes, which is what Linux stores anyway.
      const char* message = archive_error_string(reader.get());
      spdlog::debug("layer {}: {}", blob_path, message ? message : "warning without a message");
    }
    ++stats.entries;
    if (absl::Status unpacked = UnpackEntry(reader.get(), entry, *writer, skipped); !unpacked.ok()) {
      return unpacked;
    }
  }
  if (absl::Status finished = writer->Finish(); !finished.ok()) return finished;
  if (skipped.count > 0) {
    spdlog::warn("layer {}: {} xattr(s) in the {}* namespace not applied, the first {}", blob_path,
                 skipped.count, kHostOnlyXattrPrefix, skipped.first);
  }
  stats.bytes = writer->file_bytes();
  stats.skipped_xattrs = skipped.count;
  return stats;
}

}  // namespace

absl::StatusOr<UnpackStats> UnpackLayer(const std::string& blob_path, const std::string& target_dir) {
  absl::StatusOr<UnpackStats> stats = Unpack(blob_path, target_dir);
  if (!stats.ok()) {
    return absl::Status(stats.status().code(), absl::StrCat("unpacking layer ", blob_path, " into ",
                                                            target_dir, ": ", stats.status().message()));
  }
  return stats;
}

}  // namespace cloison::image
