// A gtest fixture for tests that run pods: a local registry holding the busybox fixture image,
// a running cloisond (main TOML given to the constructor, or made by a function of files_, a
// directory for what that TOML names: spec dirs, profiles) that has pulled it, a CriClient, and
// the steps such tests repeat (run a pod, run a container in it, ExecSync, read a container's
// CRI log); and the user namespace options kubelet sends for hostUsers: false. TearDown stops
// and removes every pod left (while cloisond runs) and expects no mount left under cloisond's
// directory. A subclass overriding SetUp or TearDown calls this one's (one that writes files_
// before calling SetUp has them in place when cloisond starts).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cri_client.h"
#include "host_probes.h"
#include "local_registry.h"
#include "nlohmann/json.hpp"
#include "wait_until.h"

namespace cloison::testing {

// Gives a pod's (or container's) namespace options a user namespace as kubelet does for
// hostUsers: false: mode POD, one uid and one gid line mapping 65536 ids from 0 to `host_id`.
inline void SetPodUserNamespace(v1::NamespaceOption* options, uint32_t host_id) {
  v1::UserNamespace* userns = options->mutable_userns_options();
  userns->set_mode(v1::NamespaceMode::POD);
  v1::IDMapping* mapping = userns->add_uids();
  mapping->set_container_id(0);
  mapping->set_host_id(host_id);
  mapping->set_length(65536);
  *userns->add_gids() = *mapping;
}

class PodFixture : public ::testing::Test {
 protected:
  struct TestPod {
    std::string id;
    v1::PodSandboxConfig config;
  };

  explicit PodFixture(const std::string& config = "") : daemon_(config) {}
  explicit PodFixture(const std::function<std::string(const TempDir& files)>& config) : daemon_(config(files_)) {}

  void SetUp() override {
    registry_ = LocalRegistry::Start();
    ASSERT_NE(registry_, nullptr);
    registry_->Push("busybox", "library/busybox:1.0");
    image_ = registry_->host() + "/library/busybox:1.0";
    ASSERT_TRUE(daemon_.Start()) << daemon_.Log();
    client_ = std::make_unique<CriClient>(daemon_);
    ASSERT_TRUE(client_->Pull(image_).ok());
    log_dir_ = (daemon_.dir().path() / "pod-logs").string();
  }

  void TearDown() override {
    if (!client_) return;
    if (daemon_.pid() > 0) {
      for (const v1::PodSandbox& pod : client_->ListPods()) {
        EXPECT_TRUE(client_->StopPod(pod.id()).ok());
        EXPECT_TRUE(client_->RemovePod(pod.id()).ok());
      }
    }
    EXPECT_THAT(MountsUnder(daemon_.dir().path().string()), ::testing::IsEmpty()) << daemon_.Log();
  }

  // Kills cloisond as a crash would (SIGKILL) and waits for it to be gone.
  void CrashDaemon() {
    kill(daemon_.pid(), SIGKILL);
    ASSERT_TRUE(daemon_.Exited(std::chrono::seconds(5)).exited);
  }

  // Starts cloisond again on the same directories and reconnects client_.
  void RestartDaemon() {
    ASSERT_TRUE(daemon_.Start()) << daemon_.Log();
    client_ = std::make_unique<CriClient>(daemon_);
  }

  // The record cloisond last wrote, <root>/<kind>/<id>.json (kind: sandboxes, containers);
  // discarded JSON when it is unreadable.
  nlohmann::json ReadRecord(const std::string& kind, const std::string& id) const {
    return nlohmann::json::parse(ReadText(RecordPath(kind, id)), nullptr, false);
  }

  // Rewrites that record with `change` (while cloisond is down).
  void RewriteRecord(const std::string& kind, const std::string& id,
                     const std::function<void(nlohmann::json&)>& change) const {
    nlohmann::json record = ReadRecord(kind, id);
    change(record);
    std::ofstream(RecordPath(kind, id), std::ios::trunc) << record.dump();
  }

  // Rewrites pod `id`'s record (while cloisond is down) to the marker of a RunPodSandbox cut
  // short while its infra container was being made: creating, the infra container named but
  // not recorded running, neither the namespace pins nor /dev/shm recorded.
  void RewriteToInterruptedRun(const std::string& id) const {
    RewriteRecord("sandboxes", id, [](nlohmann::json& record) {
      record["state"] = "creating";
      record["infraRunning"] = false;
      record["infraPid"] = 0;
      for (const char* field : {"netns", "ipcns", "utsns", "shm"}) record[field] = "";
    });
  }

  // Expects every process of this test's cloisond (monitors, runtimes, runsc sandboxes, shims:
  // they name its directory) to be gone within 30 s; kills what a failed test left.
  void ExpectNoProcessesLeft() const {
    const std::string dir = daemon_.dir().path().string();
    EXPECT_TRUE(WaitUntil([&] { return ProcessesNaming(dir).empty(); }, std::chrono::seconds(30)));
    for (int pid : ProcessesNaming(dir)) kill(pid, SIGKILL);
  }

  // The processes whose command line names `needle`, but cloisond.
  std::vector<int> ProcessesNaming(const std::string& needle) const {
    std::vector<int> pids = ProcessesMatching("", needle);
    std::erase(pids, daemon_.pid());
    return pids;
  }

  // Runs pod `name` (PodConfig, logs in log_dir_) on `handler` ("" = the default).
  TestPod RunPod(const std::string& name, const std::string& handler = "",
                 v1::NamespaceMode pid_mode = v1::NamespaceMode::CONTAINER) {
    return RunPod(PodConfig(name, log_dir_, pid_mode), handler);
  }

  // Runs the pod `config` on `handler` ("" = the default); its id is "" when that failed.
  TestPod RunPod(const v1::PodSandboxConfig& config, const std::string& handler = "") {
    TestPod pod{"", config};
    const grpc::Status status = client_->RunPod(pod.config, &pod.id, handler);
    EXPECT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
    return pod;
  }

  // Creates and starts container `name` of image_ running `command` in `pod`; returns its id.
  std::string RunContainer(const TestPod& pod, const std::string& name, const std::vector<std::string>& command) {
    return RunContainer(pod, ContainerConfig(name, image_, command));
  }

  // Creates and starts the container `config` in `pod`; returns its id.
  std::string RunContainer(const TestPod& pod, const v1::ContainerConfig& config) {
    std::string id;
    grpc::Status status = client_->Create(pod.id, config, pod.config, &id);
    EXPECT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
    status = client_->Start(id);
    EXPECT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
    return id;
  }

  // ExecSync with a 20 s timeout, expected to succeed.
  v1::ExecSyncResponse ExecSync(const std::string& id, const std::vector<std::string>& command) {
    v1::ExecSyncResponse response;
    const grpc::Status status = client_->Exec(id, command, 20, &response);
    EXPECT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
    return response;
  }

  // ExecSync of busybox sh -c `script`, expected to succeed; its stdout then its stderr.
  std::string Shell(const std::string& id, const std::string& script) {
    const v1::ExecSyncResponse response = ExecSync(id, {"/bin/busybox", "sh", "-c", script});
    return response.stdout() + response.stderr();
  }

  // The CRI log of container `name` (ContainerConfig logs to <log_dir_>/<name>.log).
  std::string LogOf(const std::string& name) const { return ReadText(log_dir_ + "/" + name + ".log"); }

  std::string RecordPath(const std::string& kind, const std::string& id) const {
    return (daemon_.dir().path() / "root" / kind / (id + ".json")).string();
  }

  TempDir files_;  // declared before daemon_: the configuration function may name its paths
  std::unique_ptr<LocalRegistry> registry_;
  std::string image_;
  CloisondProcess daemon_;
  std::unique_ptr<CriClient> client_;
  std::string log_dir_;
};

}  // namespace cloison::testing
