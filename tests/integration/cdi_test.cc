// CDI devices on the real runc through cloisond: a spec in the daemon's [cdi] spec_dirs gives a
// container a device node (host /dev/zero at /dev/cloison-test-dev), an environment variable
// and a bind mount, through CDI_devices and through a cdi.k8s.io/ annotation; an unknown device
// fails CreateContainer; SIGHUP applies a changed [cdi] table.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <string>

#include "pod_fixture.h"

namespace cloison::testing {
namespace {

using ::testing::HasSubstr;

const char* const kBusybox = "/bin/busybox";

class Cdi : public PodFixture {
 protected:
  Cdi()
      : PodFixture([](const TempDir& files) {
          return "[cdi]\nenabled = true\nspec_dirs = [\"" + (files.path() / "cdi").string() + "\"]\n";
        }) {}

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

    PodFixture::SetUp();
    if (HasFatalFailure()) return;
    pod_ = RunPod("cdi-pod");
    ASSERT_FALSE(pod_.id.empty());
  }

  v1::ContainerConfig Config(const std::string& name) {
    return ContainerConfig(name, image_, {kBusybox, "sleep", "1000"});
  }

  std::string Run(const v1::ContainerConfig& config) { return RunContainer(pod_, config); }

  TestPod pod_;
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
  grpc::Status status = client_->Create(pod_.id, config, pod_.config, &id);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("cloison.test/dev=missing"));
  EXPECT_TRUE(client_->List().empty());
}

// SIGHUP applies a changed [cdi] table: the next CreateContainer reads the new spec_dirs.
TEST_F(Cdi, SighupReloadsTheCdiTable) {
  const std::string late_dir = (files_.path() / "late-cdi").string();
  files_.Write("late-cdi/late.json", R"({"cdiVersion": "0.6.0", "kind": "cloison.test/late",
      "devices": [{"name": "one", "containerEdits": {"env": ["CLOISON_CDI_LATE=one"]}}]})");
  v1::ContainerConfig config = Config("late");
  config.add_cdi_devices()->set_name("cloison.test/late=one");
  std::string id;
  const grpc::Status before = client_->Create(pod_.id, config, pod_.config, &id);
  EXPECT_EQ(before.error_code(), grpc::StatusCode::NOT_FOUND) << before.error_message();

  daemon_.dir().Write("conf.d/50-cdi.toml", "[cdi]\nspec_dirs = [\"" + late_dir + "\"]\n");
  kill(daemon_.pid(), SIGHUP);
  WaitUntil([&] { return daemon_.Log().find("SIGHUP: reloaded") != std::string::npos; }, std::chrono::seconds(10));
  ASSERT_THAT(daemon_.Log(), HasSubstr("SIGHUP: reloaded"));
  EXPECT_THAT(daemon_.Log(), ::testing::Not(HasSubstr("restart cloisond to apply")));
  id = Run(config);
  EXPECT_EQ(Shell(id, "echo $CLOISON_CDI_LATE"), "one\n");
}

}  // namespace
}  // namespace cloison::testing
