#include "cloison/image/layer_unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cloison/image/in_root_fs.h"
#include "cloison/image/layer_writer.h"
#include "cloison/util/unique_fd.h"

namespace cloison::image {
namespace {

namespace fs = std::filesystem;

constexpr time_t kMtime = 1600000000;

enum class Compression { kNone, kGzip, kZstd };

// Describes the entries of a tar layer and writes it with libarchive, so tests can craft any
// entry, hostile ones included.
class TarBuilder {
 public:
  struct Spec {
    std::string path;
    unsigned int type = AE_IFREG;
    mode_t mode = 0644;
    int64_t uid = 0;
    int64_t gid = 0;
    time_t mtime = kMtime;
    std::string content;
    std::string symlink;
    std::string hardlink;
    dev_t rdev = 0;
    std::vector<std::pair<std::string, std::string>> xattrs;
  };

  Spec& Add(const std::string& path, unsigned int type, mode_t mode) {
    Spec& spec = specs_.emplace_back();
    spec.path = path;
    spec.type = type;
    spec.mode = mode;
    return spec;
  }
  Spec& File(const std::string& path, const std::string& content, mode_t mode = 0644) {
    Spec& spec = Add(path, AE_IFREG, mode);
    spec.content = content;
    return spec;
  }
  Spec& Dir(const std::string& path, mode_t mode = 0755) { return Add(path, AE_IFDIR, mode); }
  Spec& Symlink(const std::string& path, const std::string& target) {
    Spec& spec = Add(path, AE_IFLNK, 0777);
    spec.symlink = target;
    return spec;
  }
  Spec& Hardlink(const std::string& path, const std::string& target) {
    Spec& spec = Add(path, AE_IFREG, 0644);
    spec.hardlink = target;
    return spec;
  }

  void Save(const std::string& file, Compression compression) const {
    archive* writer = archive_write_new();
    ASSERT_EQ(archive_write_set_format_pax(writer), ARCHIVE_OK);
    if (compression == Compression::kGzip) {
      ASSERT_EQ(archive_write_add_filter_gzip(writer), ARCHIVE_OK);
    }
    if (compression == Compression::kZstd) {
      ASSERT_EQ(archive_write_add_filter_zstd(writer), ARCHIVE_OK);
    }
    ASSERT_EQ(archive_write_open_filename(writer, file.c_str()), ARCHIVE_OK);
    for (const Spec& spec : specs_) {
      archive_entry* entry = archive_entry_new();
      archive_entry_set_pathname(entry, spec.path.c_str());
      archive_entry_set_filetype(entry, spec.type);
      archive_entry_set_perm(entry, spec.mode);
      archive_entry_set_uid(entry, spec.uid);
      archive_entry_set_gid(entry, spec.gid);
      archive_entry_set_mtime(entry, spec.mtime, 0);
      if (!spec.symlink.empty()) archive_entry_set_symlink(entry, spec.symlink.c_str());
      if (!spec.hardlink.empty()) archive_entry_set_hardlink(entry, spec.hardlink.c_str());
      archive_entry_set_rdev(entry, spec.rdev);
      for (const auto& [key, value] : spec.xattrs) {
        archive_entry_xattr_add_entry(entry, key.c_str(), value.data(), value.size());
      }
      archive_entry_set_size(entry, static_cast<la_int64_t>(spec.content.size()));
      // ARCHIVE_WARN: a non-ASCII name the C locale cannot convert, stored as raw bytes.
      ASSERT_GE(archive_write_header(writer, entry), ARCHIVE_WARN) << archive_error_string(writer);
      if (!spec.content.empty()) {
        ASSERT_EQ(archive_write_data(writer, spec.content.data(), spec.content.size()),
                  static_cast<la_ssize_t>(spec.content.size()));
      }
      archive_entry_free(entry);
    }
    ASSERT_EQ(archive_write_close(writer), ARCHIVE_OK);
    archive_write_free(writer);
  }

 private:
  std::vector<Spec> specs_;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct stat Lstat(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path << ": " << std::strerror(errno);
  return st;
}

bool Exists(const fs::path& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

std::set<std::string> Names(const fs::path& dir) {
  std::set<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

std::string GetXattr(const fs::path& path, const std::string& key) {
  char value[256];
  const ssize_t size = lgetxattr(path.c_str(), key.c_str(), value, sizeof(value));
  return size < 0 ? "<" + std::string(std::strerror(errno)) + ">" : std::string(value, static_cast<size_t>(size));
}

// One line per entry: path, type and mode, owner, size, mtime, and content or link target.
std::string DescribeTree(const fs::path& root) {
  std::vector<std::string> lines;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root)) {
    const struct stat st = Lstat(entry.path());
    std::ostringstream line;
    line << fs::relative(entry.path(), root).string() << " " << std::oct << st.st_mode << std::dec
         << " " << st.st_uid << ":" << st.st_gid << " " << st.st_size << " " << st.st_mtim.tv_sec;
    if (S_ISREG(st.st_mode)) line << " " << ReadFile(entry.path());
    if (S_ISLNK(st.st_mode)) line << " -> " << fs::read_symlink(entry.path()).string();
    lines.push_back(line.str());
  }
  std::sort(lines.begin(), lines.end());
  std::string tree;
  for (const std::string& line : lines) tree += line + "\n";
  return tree;
}

// Layers unpack into base/root; base/outside is a sibling nothing may touch. Under /var/tmp,
// which is disk-backed, so user xattrs and device nodes work.
class UnpackLayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/var/tmp/cloison-unpack-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr) << std::strerror(errno);
    base_ = pattern;
    root_ = base_ / "root";
    outside_ = base_ / "outside";
    fs::create_directory(root_);
    fs::create_directory(outside_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(base_, ignored);
  }

  absl::StatusOr<UnpackStats> Unpack(const TarBuilder& tar, Compression compression = Compression::kNone,
                                     const fs::path& target = {}) {
    const std::string blob = (base_ / "layer.tar").string();
    tar.Save(blob, compression);
    return UnpackLayer(blob, (target.empty() ? root_ : target).string());
  }

  // Nothing escaped the root: the base holds only what the test made, outside only `expected`.
  void ExpectNothingOutside(const std::set<std::string>& expected = {}) {
    std::set<std::string> base_names = Names(base_);
    EXPECT_EQ(base_names, (std::set<std::string>{"layer.tar", "outside", "root"}));
    EXPECT_EQ(Names(outside_), expected);
  }

  fs::path base_;
  fs::path root_;
  fs::path outside_;
};

TEST(UnpackPathTest, CleanPathIsLexicalAndClampsAtTheRoot) {
  EXPECT_EQ(CleanPath("a/b/c"), "a/b/c");
  EXPECT_EQ(CleanPath("./a//b/"), "a/b");
  EXPECT_EQ(CleanPath("/abs/file"), "abs/file");
  EXPECT_EQ(CleanPath("../escape"), "escape");
  EXPECT_EQ(CleanPath("a/../../escape"), "escape");
  EXPECT_EQ(CleanPath("/a/./b/../../../c/"), "c");
  EXPECT_EQ(CleanPath("./"), "");
  EXPECT_EQ(CleanPath(".."), "");
  EXPECT_EQ(CleanPath("..."), "...");
}

TEST_F(UnpackLayerTest, RegularFilesKeepContentModeOwnerAndTimes) {
  TarBuilder tar;
  TarBuilder::Spec& file = tar.File("etc/motd", "hello", 0640);
  file.uid = 1234;
  file.gid = 5678;
  tar.File("usr/bin/su", "world!!", 04755);
  tar.File("empty", "");
  absl::StatusOr<UnpackStats> stats = Unpack(tar);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->entries, 3u);
  EXPECT_EQ(stats->bytes, 12u);

  const struct stat motd = Lstat(root_ / "etc/motd");
  EXPECT_TRUE(S_ISREG(motd.st_mode));
  EXPECT_EQ(motd.st_mode & 07777, 0640u);
  EXPECT_EQ(motd.st_uid, 1234u);
  EXPECT_EQ(motd.st_gid, 5678u);
  EXPECT_EQ(motd.st_mtim.tv_sec, kMtime);
  EXPECT_EQ(ReadFile(root_ / "etc/motd"), "hello");
  EXPECT_EQ(Lstat(root_ / "usr/bin/su").st_mode & 07777, 04755u);
  EXPECT_EQ(ReadFile(root_ / "usr/bin/su"), "world!!");
  EXPECT_EQ(Lstat(root_ / "empty").st_size, 0);
}

TEST_F(UnpackLayerTest, SetuidSurvivesAChangeOfOwner) {
  TarBuilder tar;
  TarBuilder::Spec& file = tar.File("bin/tool", "x", 06755);
  file.uid = 1000;
  file.gid = 1000;
  ASSERT_TRUE(Unpack(tar).ok());
  const struct stat st = Lstat(root_ / "bin/tool");
  EXPECT_EQ(st.st_mode & 07777, 06755u);
  EXPECT_EQ(st.st_uid, 1000u);
}

TEST_F(UnpackLayerTest, DirectoriesGetModeAndTimesEvenWhenListedAfterTheirChildren) {
  TarBuilder tar;
  tar.Dir("./");
  tar.File("late/child", "c");
  tar.Dir("late/sub", 01777);
  tar.File("late/sub/grandchild", "g");
  TarBuilder::Spec& late = tar.Dir("late", 0711);
  late.uid = 42;
  late.mtime = kMtime + 7;
  tar.File("implicit/deep/file", "f");
  const mode_t old_umask = umask(077);
  absl::StatusOr<UnpackStats> stats = Unpack(tar);
  umask(old_umask);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->entries, 6u);

  const struct stat dir = Lstat(root_ / "late");
  EXPECT_TRUE(S_ISDIR(dir.st_mode));
  EXPECT_EQ(dir.st_mode & 07777, 0711u);
  EXPECT_EQ(dir.st_uid, 42u);
  EXPECT_EQ(dir.st_mtim.tv_sec, kMtime + 7);
  const struct stat sub = Lstat(root_ / "late/sub");
  EXPECT_EQ(sub.st_mode & 07777, 01777u);
  EXPECT_EQ(sub.st_mtim.tv_sec, kMtime);
  EXPECT_EQ(ReadFile(root_ / "late/sub/grandchild"), "g");
  // Parents no entry describes are 0755 whatever the umask.
  EXPECT_EQ(Lstat(root_ / "implicit").st_mode & 07777, 0755u);
  EXPECT_EQ(Lstat(root_ / "implicit/deep").st_mode & 07777, 0755u);
}

TEST_F(UnpackLayerTest, SymlinksAreStoredVerbatim) {
  TarBuilder tar;
  tar.Symlink("etc/passwd-link", "/etc/passwd");
  tar.Symlink("rel", "../../up/there");
  tar.Symlink("dangling", "nowhere");
  TarBuilder::Spec& owned = tar.Symlink("owned", "x");
  owned.uid = 7;
  ASSERT_TRUE(Unpack(tar).ok());
  EXPECT_EQ(fs::read_symlink(root_ / "etc/passwd-link"), "/etc/passwd");
  EXPECT_EQ(fs::read_symlink(root_ / "rel"), "../../up/there");
  EXPECT_EQ(fs::read_symlink(root_ / "dangling"), "nowhere");
  const struct stat st = Lstat(root_ / "owned");
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_uid, 7u);
  EXPECT_EQ(st.st_mtim.tv_sec, kMtime);
  ExpectNothingOutside();
}

TEST_F(UnpackLayerTest, HardLinksShareTheInode) {
  TarBuilder tar;
  tar.File("dir/original", "shared");
  tar.Hardlink("dir/link", "dir/original");
  tar.Symlink("via", "/dir");
  tar.Hardlink("through-symlink", "via/original");
  absl::StatusOr<UnpackStats> stats = Unpack(tar);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->entries, 4u);
  EXPECT_EQ(stats->bytes, 6u);
  const struct stat original = Lstat(root_ / "dir/original");
  EXPECT_EQ(Lstat(root_ / "dir/link").st_ino, original.st_ino);
  EXPECT_EQ(Lstat(root_ / "through-symlink").st_ino, original.st_ino);
  EXPECT_EQ(original.st_nlink, 3u);
}

TEST_F(UnpackLayerTest, DevicesAndFifos) {
  TarBuilder tar;
  tar.Add("dev/null", AE_IFCHR, 0666).rdev = makedev(1, 3);
  TarBuilder::Spec& loop_device = tar.Add("dev/loop0", AE_IFBLK, 0660);
  loop_device.gid = 6;
  loop_device.rdev = makedev(7, 0);
  tar.Add("run/fifo", AE_IFIFO, 0620);
  ASSERT_TRUE(Unpack(tar).ok());
  const struct stat null = Lstat(root_ / "dev/null");
  EXPECT_TRUE(S_ISCHR(null.st_mode));
  EXPECT_EQ(null.st_rdev, makedev(1, 3));
  EXPECT_EQ(null.st_mode & 07777, 0666u);
  const struct stat loop = Lstat(root_ / "dev/loop0");
  EXPECT_TRUE(S_ISBLK(loop.st_mode));
  EXPECT_EQ(loop.st_rdev, makedev(7, 0));
  EXPECT_EQ(loop.st_gid, 6u);
  const struct stat fifo = Lstat(root_ / "run/fifo");
  EXPECT_TRUE(S_ISFIFO(fifo.st_mode));
  EXPECT_EQ(fifo.st_mode & 07777, 0620u);
}

TEST_F(UnpackLayerTest, XattrsFromPaxHeaders) {
  const fs::path probe = base_ / "probe";
  std::ofstream(probe) << "";
  if (setxattr(probe.c_str(), "user.probe", "1", 1, 0) != 0 && errno == ENOTSUP) {
    GTEST_SKIP() << base_ << " does not support user xattrs";
  }
  fs::remove(probe);
  TarBuilder tar;
  tar.File("file", "data").xattrs = {{"user.test", "x"}};
  tar.Dir("dir").xattrs = {{"user.dir", "yes"}};
  ASSERT_TRUE(Unpack(tar).ok());
  EXPECT_EQ(GetXattr(root_ / "file", "user.test"), "x");
  EXPECT_EQ(GetXattr(root_ / "dir", "user.dir"), "yes");
}

// Little-endian bytes of 32-bit words, for binary xattr values.
std::string Words(std::initializer_list<uint32_t> words) {
  std::string bytes;
  for (uint32_t word : words) {
    for (int shift = 0; shift < 32; shift += 8) bytes.push_back(static_cast<char>((word >> shift) & 0xff));
  }
  return bytes;
}

// overlayfs obeys trusted.overlay.* xattrs in a lowerdir (a redirect makes a directory show
// another one's content, metacopy takes a file's data from elsewhere, opaque hides the lower
// layers): a layer used to set them as it liked, cloisond applying every PAX xattr as root.
// The trusted namespace is now left out; the xattrs images need stay, and opaque directories
// still come from the ".wh..wh..opq" marker.
TEST_F(UnpackLayerTest, TrustedXattrsAreLeftOutAndTheOthersKept) {
  const fs::path probe = base_ / "probe";
  std::ofstream(probe) << "";
  if (setxattr(probe.c_str(), "user.probe", "1", 1, 0) != 0 && errno == ENOTSUP) {
    GTEST_SKIP() << base_ << " does not support user xattrs";
  }
  fs::remove(probe);
  // VFS_CAP_REVISION_2 | effective; permitted CAP_NET_BIND_SERVICE (10).
  const std::string capability = Words({0x02000001, 1u << 10, 0, 0, 0});
  // Version 2; USER_OBJ rw-, USER 1000 r--, GROUP_OBJ r--, MASK r--, OTHER r--, as (tag, perm)
  // halves of one word and the id in the next.
  const std::string acl = Words({2, 0x00060001, 0xffffffff, 0x00040002, 1000, 0x00040004, 0xffffffff,
                                 0x00040010, 0xffffffff, 0x00040020, 0xffffffff});
  TarBuilder tar;
  tar.Dir("lower/dir").xattrs = {{"trusted.overlay.redirect", "/etc"}, {"trusted.overlay.opaque", "y"}};
  tar.File("lower/file", "data").xattrs = {{"trusted.overlay.metacopy", ""},
                                           {"security.capability", capability},
                                           {"system.posix_acl_access", acl},
                                           {"user.kept", "yes"},
                                           {"trusted.other", "1"}};
  tar.Dir("opaque");
  tar.File("opaque/.wh..wh..opq", "");
  absl::StatusOr<UnpackStats> stats = Unpack(tar);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_GE(stats->skipped_xattrs, 4u);  // libarchive's pax headers carry each xattr twice

  // The marker's xattr is there, so this process can see trusted xattrs.
  EXPECT_EQ(GetXattr(root_ / "opaque", "trusted.overlay.opaque"), "y");
  const std::string absent = "<" + std::string(std::strerror(ENODATA)) + ">";
  EXPECT_EQ(GetXattr(root_ / "lower/dir", "trusted.overlay.redirect"), absent);
  EXPECT_EQ(GetXattr(root_ / "lower/dir", "trusted.overlay.opaque"), absent);
  EXPECT_EQ(GetXattr(root_ / "lower/file", "trusted.overlay.metacopy"), absent);
  EXPECT_EQ(GetXattr(root_ / "lower/file", "trusted.other"), absent);
  EXPECT_EQ(GetXattr(root_ / "lower/file", "security.capability"), capability);
  EXPECT_EQ(GetXattr(root_ / "lower/file", "system.posix_acl_access"), acl);
  EXPECT_EQ(GetXattr(root_ / "lower/file", "user.kept"), "yes");
  EXPECT_EQ(ReadFile(root_ / "lower/file"), "data");
}

TEST_F(UnpackLayerTest, WhiteoutBecomesACharacterDevice00) {
  TarBuilder tar;
  tar.Dir("etc");
  tar.File("etc/.wh.removed", "");
  tar.File("etc/replaced", "old");
  tar.File("etc/.wh.replaced", "");
  tar.File(".wh.top", "");
  absl::StatusOr<UnpackStats> stats = Unpack(tar);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->entries, 5u);
  for (const char* name : {"etc/removed", "etc/replaced", "top"}) {
    const struct stat st = Lstat(root_ / name);
    EXPECT_TRUE(S_ISCHR(st.st_mode)) << name;
    EXPECT_EQ(st.st_rdev, makedev(0, 0)) << name;
  }
  EXPECT_FALSE(Exists(root_ / "etc/.wh.removed"));
  EXPECT_FALSE(Exists(root_ / ".wh.top"));
}

TEST_F(UnpackLayerTest, OpaqueMarkerSetsTheOverlayXattr) {
  TarBuilder tar;
  tar.Dir("var/lib");
  tar.File("var/lib/.wh..wh..opq", "");
  tar.File("var/lib/kept", "k");
  tar.File("missing/dir/.wh..wh..opq", "");
  tar.File(".wh..wh.plnk/123.456", "aufs hard link store");
  ASSERT_TRUE(Unpack(tar).ok());
  EXPECT_EQ(GetXattr(root_ / "var/lib", "trusted.overlay.opaque"), "y");
  EXPECT_EQ(GetXattr(root_ / "missing/dir", "trusted.overlay.opaque"), "y");
  EXPECT_EQ(ReadFile(root_ / "var/lib/kept"), "k");
  EXPECT_FALSE(Exists(root_ / "var/lib/.wh..wh..opq"));
  EXPECT_FALSE(Exists(root_ / ".wh..wh.plnk"));
}

TEST_F(UnpackLayerTest, NonAsciiNamesKeepTheirBytes) {
  TarBuilder tar;
  tar.File("caf\xc3\xa9/na\xc3\xafve", "x");
  tar.Symlink("link", "caf\xc3\xa9");
  ASSERT_TRUE(Unpack(tar).ok());
  EXPECT_EQ(ReadFile(root_ / "caf\xc3\xa9/na\xc3\xafve"), "x");
  EXPECT_EQ(fs::read_symlink(root_ / "link"), "caf\xc3\xa9");
}

TEST_F(UnpackLayerTest, GzipAndZstdGiveTheSameTree) {
  TarBuilder tar;
  tar.Dir("d", 0750);
  tar.File("d/file", std::string(100000, 'z'), 0600);
  tar.Symlink("d/link", "file");
  tar.Hardlink("d/hard", "d/file");
  std::string trees[3];
  const Compression compressions[3] = {Compression::kNone, Compression::kGzip, Compression::kZstd};
  for (int i = 0; i < 3; ++i) {
    const fs::path target = base_ / ("tree" + std::to_string(i));
    fs::create_directory(target);
    absl::StatusOr<UnpackStats> stats = Unpack(tar, compressions[i], target);
    ASSERT_TRUE(stats.ok()) << stats.status();
    EXPECT_EQ(stats->entries, 4u);
    EXPECT_EQ(stats->bytes, 100000u);
    trees[i] = DescribeTree(target);
  }
  EXPECT_THAT(trees[0], ::testing::HasSubstr("d/file 100600 0:0 100000"));
  EXPECT_EQ(trees[1], trees[0]);
  EXPECT_EQ(trees[2], trees[0]);
}

TEST_F(UnpackLayerTest, DotDotAndAbsolutePathsStayInsideTheRoot) {
  TarBuilder tar;
  tar.File("../escape1", "1");
  tar.File("a/../../escape2", "2");
  tar.File("../../../../../escape3", "3");
  tar.File("/abs/file", "4");
  tar.File("../outside/file", "5");
  ASSERT_TRUE(Unpack(tar).ok());
  EXPECT_EQ(ReadFile(root_ / "escape1"), "1");
  EXPECT_EQ(ReadFile(root_ / "escape2"), "2");
  EXPECT_EQ(ReadFile(root_ / "escape3"), "3");
  EXPECT_EQ(ReadFile(root_ / "abs/file"), "4");
  EXPECT_EQ(ReadFile(root_ / "outside/file"), "5");
  ExpectNothingOutside();
}

TEST_F(UnpackLayerTest, SymlinkToTheTopIsFollowedOnlyInsideTheRoot) {
  TarBuilder tar;
  tar.Symlink("link", "/");
  tar.File("link/cloison-unpack-escape", "1");
  tar.Symlink("up", "../..");
  tar.File("up/escape2", "2");
  tar.Symlink("sub/deeper", "../../../..");
  tar.File("sub/deeper/escape3", "3");
  absl::StatusOr<UnpackStats> stats = Unpack(tar);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(ReadFile(root_ / "cloison-unpack-escape"), "1");
  EXPECT_EQ(ReadFile(root_ / "escape2"), "2");
  EXPECT_EQ(ReadFile(root_ / "escape3"), "3");
  EXPECT_FALSE(Exists("/cloison-unpack-escape"));
  EXPECT_EQ(fs::read_symlink(root_ / "link"), "/");
  ExpectNothingOutside();
}

TEST_F(UnpackLayerTest, SymlinkToAnOutsideDirectoryCannotBeWrittenThrough) {
  for (const std::string& target : {outside_.string(), std::string("../outside")}) {
    SCOPED_TRACE(target);
    const fs::path layer_root = base_ / "root";
    fs::remove_all(layer_root);
    fs::create_directory(layer_root);
    TarBuilder tar;
    tar.Symlink("out", target);
    tar.File("out/file", "pwned");
    tar.Dir("out/dir");
    // In the root the symlink dangles: refusing to create through it is the safe answer.
    EXPECT_FALSE(Unpack(tar).ok());
    ExpectNothingOutside();
  }
}

TEST_F(UnpackLayerTest, HardLinkCannotReachAFileOutside) {
  std::ofstream(outside_ / "file") << "secret";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "../outside/file"},
      {"../outside", "s/file"},
      {outside_.string(), "s/file"},
      {"/", "s/../../outside/file"},
  };
  for (const auto& [symlink_target, link_target] : cases) {
    SCOPED_TRACE(symlink_target + " " + link_target);
    fs::remove_all(root_);
    fs::create_directory(root_);
    TarBuilder tar;
    if (!symlink_target.empty()) tar.Symlink("s", symlink_target);
    tar.Hardlink("h", link_target);
    absl::StatusOr<UnpackStats> stats = Unpack(tar);
    EXPECT_FALSE(stats.ok());
    EXPECT_THAT(std::string(stats.status().message()), ::testing::HasSubstr("/h: hard link target"));
    EXPECT_EQ(Lstat(outside_ / "file").st_nlink, 1u);
    EXPECT_EQ(ReadFile(outside_ / "file"), "secret");
    EXPECT_FALSE(Exists(root_ / "h"));
    ExpectNothingOutside({"file"});
  }
}

TEST_F(UnpackLayerTest, SymlinkReplacedByADirectory) {
  TarBuilder tar;
  tar.Symlink("d", outside_.string());
  tar.Dir("d", 0700);
  tar.File("d/file", "inside");
  ASSERT_TRUE(Unpack(tar).ok());
  const struct stat dir = Lstat(root_ / "d");
  EXPECT_TRUE(S_ISDIR(dir.st_mode));
  EXPECT_EQ(dir.st_mode & 07777, 0700u);
  EXPECT_EQ(ReadFile(root_ / "d/file"), "inside");
  ExpectNothingOutside();
}

TEST_F(UnpackLayerTest, DirectoryReplacedByAFileOrSymlink) {
  TarBuilder tar;
  tar.Dir("x");
  tar.File("x/y/z", "deep");
  tar.File("x", "now a file");
  tar.File("w/v", "v");
  tar.Symlink("w", "/");
  absl::StatusOr<UnpackStats> stats = Unpack(tar);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(ReadFile(root_ / "x"), "now a file");
  EXPECT_EQ(fs::read_symlink(root_ / "w"), "/");
  EXPECT_EQ(Names(root_), (std::set<std::string>{"w", "x"}));
}

TEST_F(UnpackLayerTest, ReplacingAHardLinkedFileLeavesTheOtherLinkAlone) {
  TarBuilder tar;
  tar.File("a", "original");
  tar.Hardlink("b", "a");
  tar.File("b", "replacement");
  ASSERT_TRUE(Unpack(tar).ok());
  EXPECT_EQ(ReadFile(root_ / "a"), "original");
  EXPECT_EQ(ReadFile(root_ / "b"), "replacement");
  EXPECT_EQ(Lstat(root_ / "a").st_nlink, 1u);
}

TEST_F(UnpackLayerTest, RejectsInvalidWhiteoutsAndLinks) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a/.wh...", "invalid whiteout name"},
      {"a/.wh.", "invalid whiteout name"},
      {".wh.dir/file", "whiteout name used as a directory"},
  };
  for (const auto& [path, message] : cases) {
    SCOPED_TRACE(path);
    fs::remove_all(root_);
    fs::create_directory(root_);
    TarBuilder tar;
    tar.File(path, "");
    absl::StatusOr<UnpackStats> stats = Unpack(tar);
    EXPECT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(stats.status().message()), ::testing::HasSubstr(message));
    ExpectNothingOutside();
  }
  fs::remove_all(root_);
  fs::create_directory(root_);
  TarBuilder to_dir;
  to_dir.Dir("d");
  to_dir.Hardlink("h", "d");
  EXPECT_THAT(std::string(Unpack(to_dir).status().message()), ::testing::HasSubstr("hard link to directory"));
}

// libarchive does not check the gzip CRC, so bytes changed inside the deflate stream can go
// unnoticed here: the blob digest, checked before unpacking, guards against that.
TEST_F(UnpackLayerTest, TruncatedOrCorruptGzipFailsCleanly) {
  std::string noise;
  for (uint32_t i = 0, x = 12345; i < 200000; ++i) {
    x = x * 1103515245 + 12345;
    noise.push_back(static_cast<char>(x >> 24));
  }
  const std::string blob = (base_ / "layer.tar").string();
  auto fresh_root = [this] {
    fs::remove_all(root_);
    fs::create_directory(root_);
  };
  auto overwrite = [&blob](uintmax_t offset, const std::string& bytes) {
    std::fstream file(blob, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(offset));
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  };

  TarBuilder random_tar;
  random_tar.File("big", noise);
  random_tar.Save(blob, Compression::kGzip);
  fs::resize_file(blob, fs::file_size(blob) / 2);
  absl::StatusOr<UnpackStats> truncated = UnpackLayer(blob, root_.string());
  EXPECT_EQ(truncated.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(truncated.status().message()), ::testing::HasSubstr(blob));

  random_tar.Save(blob, Compression::kZstd);
  fs::resize_file(blob, fs::file_size(blob) / 2);
  fresh_root();
  EXPECT_EQ(UnpackLayer(blob, root_.string()).status().code(), absl::StatusCode::kDataLoss);

  random_tar.Save(blob, Compression::kGzip);
  overwrite(2, "\x09");  // compression method 9 does not exist
  fresh_root();
  EXPECT_EQ(UnpackLayer(blob, root_.string()).status().code(), absl::StatusCode::kDataLoss);

  random_tar.Save(blob, Compression::kNone);
  overwrite(0, "damaged");  // the tar header checksum no longer matches
  fresh_root();
  EXPECT_EQ(UnpackLayer(blob, root_.string()).status().code(), absl::StatusCode::kDataLoss);

  std::ofstream(blob, std::ios::trunc) << "this is not an archive at all, just some text";
  fresh_root();
  EXPECT_EQ(UnpackLayer(blob, root_.string()).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(UnpackLayerTest, TargetMustExistAndBeEmpty) {
  TarBuilder tar;
  tar.File("f", "x");
  std::ofstream(root_ / "existing") << "x";
  EXPECT_EQ(Unpack(tar).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Unpack(tar, Compression::kNone, base_ / "missing").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(UnpackLayer((base_ / "no-blob").string(), (base_ / "outside").string()).status().code(),
            absl::StatusCode::kNotFound);
}

// A sparse entry's data offsets come from the archive: one whose block would end past int64 is
// refused before anything is written (the file's end offset used to be computed by overflowing).
TEST_F(UnpackLayerTest, DataBlockEndingPastInt64IsDataLoss) {
  absl::StatusOr<LayerWriter> writer = LayerWriter::Create(root_.string());
  ASSERT_TRUE(writer.ok()) << writer.status();
  LayerEntry entry;
  entry.path = "sparse";
  entry.mode = 0644;
  entry.uid = getuid();
  entry.gid = getgid();
  bool given = false;
  auto one_block = [&given]() -> absl::StatusOr<std::optional<DataBlock>> {
    if (given) return std::nullopt;
    given = true;
    return DataBlock{"data", 4, std::numeric_limits<int64_t>::max() - 1};
  };
  const absl::Status written = writer->Write(entry, one_block);
  EXPECT_EQ(written.code(), absl::StatusCode::kDataLoss) << written;
  EXPECT_THAT(std::string(written.message()), ::testing::HasSubstr("/sparse: data offset"));
  EXPECT_EQ(Lstat(root_ / "sparse").st_size, 0);
}

// A layer can nest directories far deeper than PATH_MAX allows one path to name (each entry
// resolving through a symlink to the deepest directory so far); replacing the top one then
// removes the whole tree. RemoveAllAt recursed once per level, and ran out of stack there.
TEST_F(UnpackLayerTest, RemoveAllAtEmptiesTreesDeeperThanTheStackAllowsRecursion) {
  constexpr rlim_t kDepth = 4000;
  rlimit files{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &files), 0);
  if (files.rlim_max < kDepth + 100) GTEST_SKIP() << "needs " << kDepth + 100 << " file descriptors";
  rlimit raised = files;
  raised.rlim_cur = std::max<rlim_t>(files.rlim_cur, kDepth + 100);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &raised), 0);
  {
    util::UniqueFd dir(open(base_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    for (rlim_t level = 0; level < kDepth; ++level) {
      ASSERT_EQ(mkdirat(dir.get(), "d", 0755), 0) << std::strerror(errno);
      dir = util::UniqueFd(openat(dir.get(), "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      ASSERT_TRUE(dir.valid()) << std::strerror(errno);
    }
    ASSERT_EQ(symlinkat("/", dir.get(), "deepest"), 0);
  }

  struct Removal {
    int parent_fd;
    absl::Status result;
  } removal{open(base_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC), absl::OkStatus()};
  pthread_attr_t small_stack;
  ASSERT_EQ(pthread_attr_init(&small_stack), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&small_stack, 64 << 10), 0);
  pthread_t thread;
  ASSERT_EQ(pthread_create(
                &thread, &small_stack,
                [](void* arg) -> void* {
                  auto* job = static_cast<Removal*>(arg);
                  job->result = RemoveAllAt(job->parent_fd, "d");
                  return nullptr;
                },
                &removal),
            0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&small_stack);
  close(removal.parent_fd);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &files), 0);
  EXPECT_TRUE(removal.result.ok()) << removal.result;
  EXPECT_FALSE(Exists(base_ / "d"));
  EXPECT_TRUE(Exists("/"));
}

}  // namespace
}  // namespace cloison::image
