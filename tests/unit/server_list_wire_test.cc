// The wire-byte List answers (cri_list_wire.h over wire_list_cache.h) against the answers
// built as messages from the same records (cri_views.h): equal once parsed, with filters,
// after state changes, and with records gone from the cache.
#include "cloison/server/cri_list_wire.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cloison/cri/api.h"
#include "cloison/server/cri_views.h"
#include "google/protobuf/util/message_differencer.h"

namespace cloison::server {
namespace {

namespace v1 = ::runtime::v1;
using container::ContainerRecord;
using container::ContainerState;
using google::protobuf::util::MessageDifferencer;
using sandbox::SandboxRecord;
using sandbox::SandboxState;

std::string Id(char first, int n) { return std::string(1, first) + std::to_string(n) + std::string(62, 'a'); }

std::vector<ContainerRecord> MakeContainers() {
  std::vector<ContainerRecord> records;
  const ContainerState states[] = {ContainerState::kCreated, ContainerState::kRunning, ContainerState::kExited,
                                   ContainerState::kCreating};
  for (int i = 0; i < 8; ++i) {
    ContainerRecord& record = records.emplace_back();
    record.id = Id('c', i);
    record.pod_id = Id('p', i % 2);
    record.config.mutable_metadata()->set_name("ctr-" + std::to_string(i));
    record.config.mutable_metadata()->set_attempt(static_cast<uint32_t>(i));
    (*record.config.mutable_labels())["io.kubernetes.container.name"] = "ctr-" + std::to_string(i);
    (*record.config.mutable_labels())["tier"] = i % 3 == 0 ? "front" : "back";
    (*record.config.mutable_annotations())["note"] = std::string(200, 'n');  // a multi-byte length prefix
    record.image_name = "registry.example/busybox:1.0";
    record.image_id = "sha256:" + std::string(64, 'd');
    record.image_ref = "registry.example/busybox@sha256:" + std::string(64, 'd');
    record.state = states[i % 4];
    record.created_at_ns = 1700000000000000000 + i;
  }
  return records;
}

std::vector<SandboxRecord> MakePods() {
  std::vector<SandboxRecord> records;
  for (int i = 0; i < 5; ++i) {
    SandboxRecord& record = records.emplace_back();
    record.id = Id('p', i);
    record.config.mutable_metadata()->set_name("pod-" + std::to_string(i));
    record.config.mutable_metadata()->set_namespace_("default");
    record.config.mutable_metadata()->set_uid("uid-" + std::to_string(i));
    (*record.config.mutable_labels())["app"] = i % 2 == 0 ? "web" : "db";
    (*record.config.mutable_annotations())["kubernetes.io/config.seen"] = "2026-11-29T00:00:00Z";
    record.runtime_handler = i == 4 ? "runsc" : "";
    record.state = i == 3 ? SandboxState::kNotReady : SandboxState::kReady;
    record.created_at_ns = 1700000000000000000 + i;
  }
  return records;
}

v1::ListContainersResponse FromWire(WireListCache& cache, const std::vector<ContainerRecord>& records,
                                    const v1::ContainerFilter& filter) {
  const std::string wire = ListContainersWire(cache, filter, [&](ContainerVisitor visit) {
    for (const ContainerRecord& record : records) visit(record);
  });
  v1::ListContainersResponse response;
  EXPECT_TRUE(response.ParseFromString(wire));
  return response;
}

v1::ListContainersResponse FromMessages(const std::vector<ContainerRecord>& records,
                                        const v1::ContainerFilter& filter) {
  v1::ListContainersResponse response;
  for (const ContainerRecord& record : records) {
    if (MatchesFilter(record, filter)) FillContainer(record, *response.add_containers());
  }
  return response;
}

v1::ListPodSandboxResponse FromWire(WireListCache& cache, const std::vector<SandboxRecord>& records,
                                    const v1::PodSandboxFilter& filter) {
  const std::string wire = ListPodSandboxWire(cache, filter, [&](SandboxVisitor visit) {
    for (const SandboxRecord& record : records) visit(record);
  });
  v1::ListPodSandboxResponse response;
  EXPECT_TRUE(response.ParseFromString(wire));
  return response;
}

v1::ListPodSandboxResponse FromMessages(const std::vector<SandboxRecord>& records, const v1::PodSandboxFilter& filter) {
  v1::ListPodSandboxResponse response;
  for (const SandboxRecord& record : records) {
    if (MatchesFilter(record, filter)) FillPodSandbox(record, *response.add_items());
  }
  return response;
}

// Every filter below, each with the number of containers it leaves out of MakeContainers().
std::vector<std::pair<v1::ContainerFilter, int>> ContainerFilters() {
  std::vector<std::pair<v1::ContainerFilter, int>> filters;
  filters.emplace_back(v1::ContainerFilter(), 6);  // the two kCreating records are never listed
  v1::ContainerFilter by_id;
  by_id.set_id(Id('c', 1));
  filters.emplace_back(by_id, 1);
  v1::ContainerFilter by_prefix;
  by_prefix.set_id("c2");
  filters.emplace_back(by_prefix, 1);
  v1::ContainerFilter by_pod;
  by_pod.set_pod_sandbox_id(Id('p', 1));
  filters.emplace_back(by_pod, 2);  // c1 (running), c5 (running); c3 and c7 are creating
  v1::ContainerFilter by_state;
  by_state.mutable_state()->set_state(v1::CONTAINER_EXITED);
  filters.emplace_back(by_state, 2);
  v1::ContainerFilter by_label;
  (*by_label.mutable_label_selector())["tier"] = "front";
  filters.emplace_back(by_label, 2);  // c0 and c6; c3 is creating
  v1::ContainerFilter none;
  none.set_pod_sandbox_id("nope");
  filters.emplace_back(none, 0);
  return filters;
}

TEST(ListContainersWire, EqualsTheMessageAnswerForEveryFilter) {
  const std::vector<ContainerRecord> records = MakeContainers();
  WireListCache cache;
  for (int pass = 0; pass < 2; ++pass) {  // the second pass answers from the cached items
    for (const auto& [filter, count] : ContainerFilters()) {
      const v1::ListContainersResponse wire = FromWire(cache, records, filter);
      EXPECT_EQ(wire.containers_size(), count) << filter.ShortDebugString();
      EXPECT_TRUE(MessageDifferencer::Equals(wire, FromMessages(records, filter))) << filter.ShortDebugString();
    }
  }
}

TEST(ListContainersWire, BytesAreTheMessageSerialization) {
  std::vector<ContainerRecord> records = MakeContainers();
  for (ContainerRecord& record : records) record.config.mutable_labels()->erase("tier");  // one label: one order
  WireListCache cache;
  const std::string wire = ListContainersWire(cache, v1::ContainerFilter(), [&](ContainerVisitor visit) {
    for (const ContainerRecord& record : records) visit(record);
  });
  EXPECT_EQ(wire, FromMessages(records, v1::ContainerFilter()).SerializeAsString());
}

TEST(ListContainersWire, ReflectsStateChanges) {
  std::vector<ContainerRecord> records = MakeContainers();
  WireListCache cache;
  FromWire(cache, records, v1::ContainerFilter());
  records[0].state = ContainerState::kRunning;
  records[3].state = ContainerState::kCreated;  // a creating record that finished
  v1::ContainerFilter running;
  running.mutable_state()->set_state(v1::CONTAINER_RUNNING);
  const v1::ListContainersResponse wire = FromWire(cache, records, running);
  EXPECT_EQ(wire.containers_size(), 3);
  EXPECT_TRUE(MessageDifferencer::Equals(wire, FromMessages(records, running)));
  const v1::ListContainersResponse all = FromWire(cache, records, v1::ContainerFilter());
  EXPECT_EQ(all.containers_size(), 7);
  EXPECT_TRUE(MessageDifferencer::Equals(all, FromMessages(records, v1::ContainerFilter())));
  EXPECT_EQ(all.containers(0).state(), v1::CONTAINER_RUNNING);
}

TEST(ListContainersWire, DropsTheItemsOfRemovedRecords) {
  std::vector<ContainerRecord> records = MakeContainers();
  WireListCache cache;
  FromWire(cache, records, v1::ContainerFilter());
  EXPECT_EQ(cache.size(), 6u);
  records.erase(records.begin(), records.begin() + 4);
  const v1::ListContainersResponse wire = FromWire(cache, records, v1::ContainerFilter());
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_TRUE(MessageDifferencer::Equals(wire, FromMessages(records, v1::ContainerFilter())));
}

TEST(ListContainersWire, EmptyAnswerIsEmptyBytes) {
  WireListCache cache;
  EXPECT_EQ(ListContainersWire(cache, v1::ContainerFilter(), [](ContainerVisitor) {}), "");
}

TEST(ListPodSandboxWire, EqualsTheMessageAnswerForEveryFilter) {
  std::vector<SandboxRecord> pods = MakePods();
  std::vector<std::pair<v1::PodSandboxFilter, int>> filters;
  filters.emplace_back(v1::PodSandboxFilter(), 5);
  v1::PodSandboxFilter by_prefix;
  by_prefix.set_id("p3");
  filters.emplace_back(by_prefix, 1);
  v1::PodSandboxFilter by_state;
  by_state.mutable_state()->set_state(v1::SANDBOX_READY);
  filters.emplace_back(by_state, 4);
  v1::PodSandboxFilter by_label;
  (*by_label.mutable_label_selector())["app"] = "web";
  filters.emplace_back(by_label, 3);
  WireListCache cache;
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& [filter, count] : filters) {
      const v1::ListPodSandboxResponse wire = FromWire(cache, pods, filter);
      EXPECT_EQ(wire.items_size(), count) << filter.ShortDebugString();
      EXPECT_TRUE(MessageDifferencer::Equals(wire, FromMessages(pods, filter))) << filter.ShortDebugString();
    }
  }
  pods[0].state = SandboxState::kNotReady;
  pods.pop_back();
  const v1::ListPodSandboxResponse ready = FromWire(cache, pods, by_state);
  EXPECT_EQ(ready.items_size(), 2);
  EXPECT_TRUE(MessageDifferencer::Equals(ready, FromMessages(pods, by_state)));
  const v1::ListPodSandboxResponse all = FromWire(cache, pods, v1::PodSandboxFilter());
  EXPECT_EQ(all.items(0).state(), v1::SANDBOX_NOTREADY);
  EXPECT_TRUE(MessageDifferencer::Equals(all, FromMessages(pods, v1::PodSandboxFilter())));
  EXPECT_EQ(cache.size(), 4u);
}

}  // namespace
}  // namespace cloison::server
