// CDI devices on the real runc through cloisond: a spec in the daemon's [cdi] spec_dirs gives a
// container a device node (host /dev/zero at /dev/cloison-test-dev), an environment variable
// and a bind mount, through CDI_devices and through a cdi.k8s.io/ annotation; an unknown device
// fails CreateContainer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "cri_client.h"
#include "local_registry.h"

namespace cloison::testing {
namespace {

using ::testing::HasSubstr;

const char* const kBusybox = "/bin/busybox";

class Cdi : public ::testing::Test {
 protected:
  Cdi() : daemon_("[cdi]\nenabled = true\nspec_dirs = [\"" + (files_.path() / "cdi").string() + "\"]\n") {}

  void SetUp() override {
    const std::string shared = files_.Write("shared.txt", "shared-by-cdi\n");
    files_.Write("cdi/cloison-test.json", R"({
      "cdiVersion": "0.6.0",
      "kind": "cloison.test/dev",
      "containerEdits": {"env": ["CLOISON_CDI_SPEC=1"]},
      "devices": [
        {"name": "zero",
         "containerEdits": {
           "env": ["CLOISON_CDI_DEVICE=zero"],
           "deviceNodes": [{"path": "/dev/cloison-test-dev", "hostPath": "/dev/zero", "permissions": "rw"}],
           "mounts": [{"hostPath": ")" + shared + R"(", "containerPath": "/etc/cloison-cdi.txt",
                       "type": "bind", "options": ["rbind", "ro"]}]
         }}
      ]})");
    files_.Write("cdi/annotated.yaml",
                 "cdiVersion: 0.6.0\n"
                 "kind: cloison.test/annotated\n"
                 "devices:\n"
                 "- name: \"null\"\n"
                 "  containerEdits:\n"
                 "    env: [CLOISON_CDI_ANNOTATED=yes]\n"
                 "    deviceNodes:\n"
                 "    - {path: /dev/cloison-test-null, hostPath: /dev/null}\n");
    files_.Write("cdi/broken.json", "{ this is not a spec");

    registry_ = LocalRegistry::Start();
    ASSERT_NE(registry_, nullptr);
    registry_->Push("busybox", "library/busybox:1.0");
    image_ = registry_->host() + "/library/busybox:1.0";
    ASSERT_TRUE(daemon_.Start()) << daemon_.Log();
    client_ = std::make_unique<CriClient>(daemon_);
    ASSERT_TRUE(client_->Pull(image_).ok());
    pod_config_ = PodConfig("cdi-pod", (daemon_.dir().path() / "pod-logs").string());
    grpc::Status status = client_->RunPod(pod_config_, &pod_id_);
    ASSERT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
  }

  void TearDown() override {
    if (daemon_.pid() > 0 && client_ != nullptr) {
      for (const v1::PodSandbox& pod : client_->ListPods()) {
        EXPECT_TRUE(client_->StopPod(pod.id()).ok());
        EXPECT_TRUE(client_->RemovePod(pod.id()).ok());
      }
    }
  }

  v1::ContainerConfig Config(const std::string& name) {
    return ContainerConfig(name, image_, {kBusybox, "sleep", "1000"});
  }

  std::string Run(const v1::ContainerConfig& config) {
    std::string id;
    grpc::Status status = client_->Create(pod_id_, config, pod_config_, &id);
    EXPECT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
    status = client_->Start(id);
    EXPECT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
    return id;
  }

  std::string Shell(const std::string& id, const std::string& script) {
    v1::ExecSyncResponse response;
    grpc::Status status = client_->Exec(id, {kBusybox, "sh", "-c", script}, 20, &response);
    EXPECT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
    return response.stdout() + response.stderr();
  }

  TempDir files_;  // declared before daemon_: its path goes into the daemon's configuration
  CloisondProcess daemon_;
  std::unique_ptr<LocalRegistry> registry_;
  std::string image_;
  std::unique_ptr<CriClient> client_;
  v1::PodSandboxConfig pod_config_;
  std::string pod_id_;
};

TEST_F(Cdi, RequestedDeviceBringsItsNodeEnvAndMount) {
  v1::ContainerConfig config = Config("with-device");
  config.add_cdi_devices()->set_name("cloison.test/dev=zero");
  const std::string id = Run(config);
  EXPECT_EQ(Shell(id, "/bin/busybox test -c /dev/cloison-test-dev && "
                      "/bin/busybox head -c 5 /dev/cloison-test-dev | /bin/busybox od -An -tx1"),
            " 00 00 00 00 00\n");
  EXPECT_EQ(Shell(id, "echo $CLOISON_CDI_SPEC $CLOISON_CDI_DEVICE"), "1 zero\n");
  EXPECT_EQ(Shell(id, "/bin/busybox cat /etc/cloison-cdi.txt"), "shared-by-cdi\n");
  EXPECT_THAT(Shell(id, "echo x > /etc/cloison-cdi.txt"), HasSubstr("Read-only file system"));
  // The broken spec file beside the good ones was skipped, and said so.
  EXPECT_THAT(daemon_.Log(), HasSubstr("broken.json"));
}

TEST_F(Cdi, AnnotationRequestsADevice) {
  v1::ContainerConfig config = Config("annotated");
  (*config.mutable_annotations())["cdi.k8s.io/test"] = "cloison.test/annotated=null";
  const std::string id = Run(config);
  EXPECT_EQ(Shell(id, "/bin/busybox test -c /dev/cloison-test-null && echo $CLOISON_CDI_ANNOTATED"), "yes\n");
  EXPECT_EQ(Shell(id, "/bin/busybox test -e /dev/cloison-test-dev || echo absent"), "absent\n");
}

TEST_F(Cdi, UnknownDeviceFailsCreateContainer) {
  v1::ContainerConfig config = Config("unknown");
  config.add_cdi_devices()->set_name("cloison.test/dev=missing");
  std::string id;
  grpc::Status status = client_->Create(pod_id_, config, pod_config_, &id);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("cloison.test/dev=missing"));
  EXPECT_TRUE(client_->List().empty());
}

}  // namespace
}  // namespace cloison::testing
