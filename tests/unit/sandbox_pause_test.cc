#include <elf.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cloison/util/cgroup_hierarchies.h"
#include "cloison/sandbox/pause_rootfs.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/command.h"
#include "test_tmpdir.h"

namespace cloison::sandbox {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using util::CgroupHierarchy;
using util::MountedCgroupHierarchies;

constexpr char kPause[] = CLOISON_PAUSE_BINARY;

util::CommandResult Exec(const std::vector<std::string>& argv) {
  absl::StatusOr<util::CommandResult> result = util::RunCommand(argv, std::chrono::seconds(20));
  EXPECT_TRUE(result.ok()) << result.status();
  return result.value_or(util::CommandResult{});
}

// Whether a 64-bit ELF file asks for a dynamic loader (a PT_INTERP program header).
bool HasElfInterpreter(const std::string& elf) {
  Elf64_Ehdr header;
  if (elf.size() < sizeof(header)) return false;
  std::memcpy(&header, elf.data(), sizeof(header));
  for (size_t i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr program;
    const size_t offset = header.e_phoff + i * header.e_phentsize;
    if (offset + sizeof(program) > elf.size()) return false;
    std::memcpy(&program, elf.data() + offset, sizeof(program));
    if (program.p_type == PT_INTERP) return true;
  }
  return false;
}

TEST(CloisonPause, IsSmallStaticAndPrintsItsVersion) {
  struct stat info {};
  ASSERT_EQ(stat(kPause, &info), 0);
  EXPECT_LT(info.st_size, 1 << 20);
  const util::CommandResult version = Exec({kPause, "-v"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.stdout_text, ::testing::StartsWith("cloison-pause "));
  EXPECT_EQ(Exec({kPause, "--bogus"}).exit_code, 2);
  EXPECT_FALSE(HasElfInterpreter(util::ReadFile(kPause).value())) << "not statically linked";
}

TEST(BuildPauseRootfs, BuildsAndRebuildsOnlyWhenTheBinaryChanges) {
  testing::TempDir tmp;
  const std::string rootfs = (tmp.path() / "rootfs").string();
  ASSERT_TRUE(BuildPauseRootfs(kPause, rootfs).ok());
  for (const char* dir : {"proc", "dev", "sys", "etc"}) {
    EXPECT_TRUE(std::filesystem::is_directory(rootfs + "/" + dir));
  }
  struct stat first {};
  ASSERT_EQ(stat((rootfs + "/pause").c_str(), &first), 0);
  EXPECT_EQ(first.st_mode & 07777, 0755u);
  EXPECT_EQ(util::ReadFile(rootfs + "/pause").value(), util::ReadFile(kPause).value());

  ASSERT_TRUE(BuildPauseRootfs(kPause, rootfs).ok());
  struct stat second {};
  ASSERT_EQ(stat((rootfs + "/pause").c_str(), &second), 0);
  EXPECT_EQ(second.st_ino, first.st_ino) << "unchanged binary: not rewritten";

  const std::string other = tmp.Write("other-pause", "#!/bin/true\n");
  ASSERT_TRUE(BuildPauseRootfs(other, rootfs).ok());
  EXPECT_EQ(util::ReadFile(rootfs + "/pause").value(), "#!/bin/true\n");

  EXPECT_EQ(BuildPauseRootfs((tmp.path() / "missing").string(), rootfs).code(),
            absl::StatusCode::kNotFound);
}

// Runs the pause rootfs as a container with the real runc.
class PauseUnderRuncTest : public ::testing::Test {
 protected:
  PauseUnderRuncTest() : id_(absl::StrCat("cloison-pause-", std::random_device()())) {}
  ~PauseUnderRuncTest() override {
    Exec({"runc", "--root", root_, "delete", "--force", id_});
    const std::vector<CgroupHierarchy> hierarchies = MountedCgroupHierarchies().value();
    for (const CgroupHierarchy& hierarchy : hierarchies) {
      rmdir((hierarchy.mount_point + "/cloison-sbx-test/" + id_).c_str());
      rmdir((hierarchy.mount_point + "/cloison-sbx-test").c_str());
    }
  }

  // "running", "stopped", ... ; "" when runc does not know the container.
  std::string Status() {
    const util::CommandResult state = Exec({"runc", "--root", root_, "state", id_});
    if (state.exit_code != 0) return "";
    return nlohmann::json::parse(state.stdout_text).value("status", "");
  }

  // Processes whose parent is `pid` (zombies included).
  static std::vector<int> ChildrenOf(int pid) {
    std::vector<int> children;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      int child = 0;
      if (!absl::SimpleAtoi(entry.path().filename().string(), &child)) continue;
      absl::StatusOr<std::string> status = util::ReadFile(entry.path().string() + "/status");
      if (!status.ok()) continue;
      for (absl::string_view line : absl::StrSplit(*status, '\n')) {
        if (line == absl::StrCat("PPid:\t", pid)) children.push_back(child);
      }
    }
    return children;
  }

  testing::TempDir tmp_;
  const std::string id_;
  const std::string root_ = (tmp_.path() / "runc-root").string();
  const std::string bundle_ = (tmp_.path() / "bundle").string();
};

TEST_F(PauseUnderRuncTest, RunsAsPid1ReapsOrphansAndStopsOnSigterm) {
  ASSERT_TRUE(BuildPauseRootfs(kPause, bundle_ + "/rootfs").ok());
  ASSERT_EQ(Exec({"runc", "spec", "--bundle", bundle_}).exit_code, 0);
  nlohmann::json spec = nlohmann::json::parse(util::ReadFile(bundle_ + "/config.json").value());
  spec["process"]["args"] = {"/pause"};
  spec["process"]["terminal"] = false;
  spec["root"]["path"] = bundle_ + "/rootfs";
  spec["linux"]["cgroupsPath"] = "/cloison-sbx-test/" + id_;
  ASSERT_TRUE(util::WriteFileAtomically(bundle_ + "/config.json", spec.dump(), 0644).ok());

  // The container keeps runc's stdio; give it /dev/null so RunCommand's pipes close.
  const std::string log = (tmp_.path() / "runc.log").string();
  const util::CommandResult create =
      Exec({"sh", "-c",
            absl::StrCat("exec runc --root ", root_, " create --bundle ", bundle_, " ", id_,
                         " </dev/null >/dev/null 2>", log)});
  ASSERT_EQ(create.exit_code, 0) << util::ReadFile(log).value_or("");
  ASSERT_EQ(Exec({"runc", "--root", root_, "start", id_}).exit_code, 0);
  EXPECT_EQ(Status(), "running");

  const util::CommandResult state = Exec({"runc", "--root", root_, "state", id_});
  const int pid = nlohmann::json::parse(state.stdout_text).value("pid", 0);
  ASSERT_GT(pid, 0);
  // An orphan in the pod's PID namespace is re-parented to pause, which must reap it. (The
  // sleep gets its own stdio so that RunCommand returns as soon as sh exits.)
  ASSERT_EQ(Exec({"nsenter", "--target", std::to_string(pid), "--pid", "--", "sh", "-c",
                  "sleep 2 </dev/null >/dev/null 2>&1 & exit 0"})
                .exit_code,
            0);
  EXPECT_EQ(ChildrenOf(pid).size(), 1u) << "the orphaned sleep";
  const auto reap_deadline = std::chrono::steady_clock::now() + seconds(5);
  while (!ChildrenOf(pid).empty() && std::chrono::steady_clock::now() < reap_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(ChildrenOf(pid).empty()) << "zombie not reaped";

  ASSERT_EQ(Exec({"runc", "--root", root_, "kill", id_, "TERM"}).exit_code, 0);
  const auto deadline = std::chrono::steady_clock::now() + seconds(5);
  while (Status() != "stopped" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(Status(), "stopped");
  EXPECT_EQ(Exec({"runc", "--root", root_, "delete", id_}).exit_code, 0);
  EXPECT_EQ(Status(), "");
}

}  // namespace
}  // namespace cloison::sandbox
