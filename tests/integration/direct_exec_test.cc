// Integration tests of direct ExecSync (include/cloison/monitor/direct_exec.h) on the real
// runc through cloisond: the default "runc" handler enters containers itself
// (direct_exec_sync = true), "runc-exec" runs `runc exec` for the same containers. What the
// exec'd process sees (credentials, capabilities, no_new_privs, seccomp, namespaces, cgroups,
// cwd, env, limits), exit codes, output, timeouts and failures must be the same both ways.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <string>
#include <vector>

#include "pod_fixture.h"

namespace cloison::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const char* const kBusybox = "/bin/busybox";
constexpr char kDirect[] = "runc";
constexpr char kThroughRunc[] = "runc-exec";

// What the exec'd process sees of itself, comparable between two containers of one config.
constexpr char kProbe[] =
    "pwd; umask; ulimit -a; cat /proc/self/oom_score_adj; env | sort; "
    "grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters):' "
    "/proc/self/status";
// Prints one line for each namespace or cgroup the exec'd process does not share with the
// container's init (PID 1 in the container's PID namespace).
constexpr char kSameAsInit[] =
    "for n in ipc mnt net pid uts cgroup user; do "
    "[ \"$(readlink /proc/self/ns/$n)\" = \"$(readlink /proc/1/ns/$n)\" ] || echo \"ns $n differs\"; done; "
    "[ \"$(cat /proc/self/cgroup)\" = \"$(cat /proc/1/cgroup)\" ] || echo 'cgroup differs'; "
    "[ \"$(readlink /proc/1/ns/pid)\" != \"\" ] || echo 'no init'";

class DirectExec : public PodFixture {
 protected:
  DirectExec() : PodFixture(std::string("[runtimes.") + kThroughRunc + "]\nruntime_path = \"runc\"\n") {}

  // A pod config whose hostname does not depend on the pod's handler (it is in env).
  v1::PodSandboxConfig ProbePod(const std::string& name, bool host_network = false) const {
    v1::PodSandboxConfig config = PodConfig(name, log_dir_);
    config.set_hostname("probe");
    if (host_network) {
      config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
          v1::NamespaceMode::NODE);
    }
    return config;
  }

  // ExecSync of busybox sh -c `script`, expected to succeed: the whole response.
  v1::ExecSyncResponse ShellExec(const std::string& id, const std::string& script) {
    return ExecSync(id, {kBusybox, "sh", "-c", script});
  }

  bool TookDirectPath(const std::string& id) { return daemon_.Log().find("ExecSync in " + id + ": direct") != std::string::npos; }
};

v1::ContainerConfig Hardened(const std::string& name, const std::string& image) {
  v1::ContainerConfig config = ContainerConfig(name, image, {kBusybox, "sleep", "3600"});
  config.set_working_dir("/tmp");
  v1::KeyValue* env = config.add_envs();
  env->set_key("PROBE_ENV");
  env->set_value("set by the test");
  v1::LinuxContainerSecurityContext* sc = config.mutable_linux()->mutable_security_context();
  sc->mutable_run_as_user()->set_value(1000);
  sc->mutable_run_as_group()->set_value(3000);
  sc->add_supplemental_groups(4000);
  sc->add_supplemental_groups(5000);
  sc->mutable_capabilities()->add_drop_capabilities("CAP_KILL");
  sc->mutable_capabilities()->add_add_capabilities("CAP_NET_RAW");
  sc->mutable_capabilities()->add_add_ambient_capabilities("CAP_NET_BIND_SERVICE");
  sc->set_no_new_privs(true);
  sc->mutable_seccomp()->set_profile_type(v1::SecurityProfile::RuntimeDefault);
  return config;
}

TEST_F(DirectExec, SeesWhatRuncExecGives) {
  const std::string direct = RunContainer(RunPod(ProbePod("direct"), kDirect), Hardened("hardened", image_));
  const std::string through_runc =
      RunContainer(RunPod(ProbePod("through-runc"), kThroughRunc), Hardened("hardened", image_));

  const v1::ExecSyncResponse mine = ShellExec(direct, kProbe);
  const v1::ExecSyncResponse runc = ShellExec(through_runc, kProbe);
  EXPECT_TRUE(TookDirectPath(direct)) << daemon_.Log();
  EXPECT_FALSE(TookDirectPath(through_runc));
  EXPECT_EQ(mine.exit_code(), 0) << mine.stderr();
  EXPECT_EQ(mine.stdout(), runc.stdout());
  EXPECT_EQ(mine.stderr(), runc.stderr());
  // The test would compare nothing if both lacked what it sets.
  EXPECT_THAT(mine.stdout(), HasSubstr("/tmp\n"));
  EXPECT_THAT(mine.stdout(), HasSubstr("PROBE_ENV=set by the test"));
  EXPECT_THAT(mine.stdout(), HasSubstr("Uid:\t1000\t1000\t1000\t1000"));
  EXPECT_THAT(mine.stdout(), HasSubstr("Gid:\t3000\t3000\t3000\t3000"));
  EXPECT_THAT(mine.stdout(), HasSubstr("4000 5000"));
  EXPECT_THAT(mine.stdout(), HasSubstr("CapAmb:\t0000000000000400"));
  EXPECT_THAT(mine.stdout(), HasSubstr("NoNewPrivs:\t1"));
  EXPECT_THAT(mine.stdout(), HasSubstr("Seccomp:\t2"));

  for (const std::string& id : {direct, through_runc}) {
    const v1::ExecSyncResponse same = ShellExec(id, kSameAsInit);
    EXPECT_EQ(same.stdout(), "") << id;
    EXPECT_EQ(same.exit_code(), 0) << same.stderr();
  }
  // The exec'd process is in the container's PID namespace: it does not see the host's.
  const std::string own_pid = std::to_string(getpid());
  EXPECT_EQ(ShellExec(direct, "[ -d /proc/1 ] && ! [ -d /proc/" + own_pid + "/ns ] && echo ok").stdout(), "ok\n");
}

TEST_F(DirectExec, ExitCodesOutputTimeoutsAndFailuresAsThroughRunc) {
  const v1::ContainerConfig plain = ContainerConfig("plain", image_, {kBusybox, "sleep", "3600"});
  const std::string direct = RunContainer(RunPod(ProbePod("direct", /*host_network=*/true), kDirect), plain);
  const std::string through_runc =
      RunContainer(RunPod(ProbePod("through-runc", /*host_network=*/true), kThroughRunc), plain);

  for (const std::string& id : {direct, through_runc}) {
    SCOPED_TRACE(id == direct ? "direct" : "through runc");
    const v1::ExecSyncResponse output = ShellExec(id, "echo out; echo err >&2; exit 3");
    EXPECT_EQ(output.exit_code(), 3);
    EXPECT_EQ(output.stdout(), "out\n");
    EXPECT_EQ(output.stderr(), "err\n");
    EXPECT_EQ(ShellExec(id, "kill -9 $$").exit_code(), 137);
    EXPECT_EQ(ShellExec(id, kSameAsInit).stdout(), "");  // host network: the node's netns, as init's

    v1::ExecSyncResponse missing;
    grpc::Status status = client_->Exec(id, {"/no/such/command"}, 20, &missing);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_NE(missing.exit_code(), 0);
    EXPECT_THAT(missing.stderr(), HasSubstr("no such file or directory"));

    v1::ExecSyncResponse slow;
    status = client_->Exec(id, {kBusybox, "sleep", "30"}, 1, &slow);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  }
  EXPECT_TRUE(TookDirectPath(direct));
  EXPECT_THAT(daemon_.Log(), HasSubstr("ExecSync in " + direct + ": through the runtime"))
      << "a command that cannot be found is left to runc, which reports it";

  // A stopped container: refused before any exec, both ways.
  for (const std::string& id : {direct, through_runc}) {
    ASSERT_TRUE(client_->Stop(id, 5).ok());
    v1::ExecSyncResponse response;
    const grpc::Status status = client_->Exec(id, {kBusybox, "true"}, 5, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  }
}

TEST_F(DirectExec, UserNamespacePodsAsThroughRunc) {
  // The pod's root (an unprivileged host uid) must reach the rootfs; a temporary dir is 0700.
  ASSERT_EQ(chmod(daemon_.dir().path().c_str(), 0711), 0);
  std::vector<std::string> ids;
  for (const char* handler : {kDirect, kThroughRunc}) {
    v1::PodSandboxConfig config = ProbePod(std::string("userns-") + handler);
    SetPodUserNamespace(config.mutable_linux()->mutable_security_context()->mutable_namespace_options(),
                        handler == std::string(kDirect) ? 300000 : 400000);
    const TestPod pod = RunPod(config, handler);
    ASSERT_FALSE(pod.id.empty());
    v1::ContainerConfig container = ContainerConfig("sleeper", image_, {kBusybox, "sleep", "3600"});
    *container.mutable_linux()->mutable_security_context()->mutable_namespace_options() =
        config.linux().security_context().namespace_options();
    ids.push_back(RunContainer(pod, container));
  }
  const v1::ExecSyncResponse mine = ShellExec(ids[0], std::string(kProbe) + "; id");
  const v1::ExecSyncResponse runc = ShellExec(ids[1], std::string(kProbe) + "; id");
  EXPECT_TRUE(TookDirectPath(ids[0])) << daemon_.Log();
  EXPECT_EQ(mine.exit_code(), 0) << mine.stderr();
  EXPECT_EQ(mine.stdout(), runc.stdout());
  EXPECT_EQ(mine.stderr(), runc.stderr());
  EXPECT_THAT(mine.stdout(), HasSubstr("uid=0(root) gid=0(root)"));
  for (const std::string& id : ids) EXPECT_EQ(ShellExec(id, kSameAsInit).stdout(), "") << id;
}

}  // namespace
}  // namespace cloison::testing
