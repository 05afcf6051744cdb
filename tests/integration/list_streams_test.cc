// Integration tests of the KEP-5825 Stream* list RPCs against the real cloisond: each stream
// gives what its List* call gives, with the same filters, in chunks of at least one item within
// the chunk limits (server/stream_chunks.h), and an empty answer is a stream without messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "cloison/server/stream_chunks.h"
#include "pod_fixture.h"

namespace cloison::testing {
namespace {

using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// Every message of a server stream, and how it ended.
template <typename Response>
struct StreamResult {
  std::vector<Response> messages;
  grpc::Status status;
};

template <typename Response, typename Start>
StreamResult<Response> ReadStream(Start start) {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<Response>> reader = start(&context);
  StreamResult<Response> result;
  for (Response message; reader->Read(&message);) result.messages.push_back(message);
  result.status = reader->Finish();
  return result;
}

// The items of all messages, in order; fails the test on an empty message.
template <typename Response, typename Items>
auto Flatten(const StreamResult<Response>& result, Items items) {
  std::vector<typename std::decay_t<decltype(items(result.messages.front()))>::value_type> all;
  for (const Response& message : result.messages) {
    const auto& chunk = items(message);
    EXPECT_GT(chunk.size(), 0) << "a stream message without items";
    all.insert(all.end(), chunk.begin(), chunk.end());
  }
  return all;
}

// Serialized items sorted by id: two answers compare equal whatever their order.
template <typename Item, typename Id>
std::vector<std::string> Canonical(const std::vector<Item>& items, Id id) {
  std::vector<Item> sorted = items;
  std::sort(sorted.begin(), sorted.end(), [&](const Item& a, const Item& b) { return id(a) < id(b); });
  std::vector<std::string> out;
  for (const Item& item : sorted) out.push_back(item.SerializeAsString());
  return out;
}

template <typename Item, typename Id>
std::set<std::string> Ids(const std::vector<Item>& items, Id id) {
  std::set<std::string> out;
  for (const Item& item : items) out.insert(id(item));
  return out;
}

class ListStreams : public PodFixture {
 protected:
  void SetUp() override {
    PodFixture::SetUp();
    runtime_ = daemon_.Runtime();
    images_ = daemon_.Images();
  }

  std::vector<v1::PodSandbox> StreamPods(const v1::PodSandboxFilter& filter = {}, size_t* messages = nullptr) {
    v1::StreamPodSandboxesRequest request;
    *request.mutable_filter() = filter;
    const auto result = ReadStream<v1::StreamPodSandboxesResponse>(
        [&](grpc::ClientContext* context) { return runtime_->StreamPodSandboxes(context, request); });
    EXPECT_TRUE(result.status.ok()) << result.status.error_message();
    for (const v1::StreamPodSandboxesResponse& message : result.messages) {
      EXPECT_LE(message.ByteSizeLong(), server::kStreamChunkLimits.max_bytes);
    }
    if (messages) *messages = result.messages.size();
    return Flatten(result, [](const v1::StreamPodSandboxesResponse& m) -> const auto& { return m.pod_sandboxes(); });
  }
  std::vector<v1::Container> StreamContainers(const v1::ContainerFilter& filter = {}) {
    v1::StreamContainersRequest request;
    *request.mutable_filter() = filter;
    const auto result = ReadStream<v1::StreamContainersResponse>(
        [&](grpc::ClientContext* context) { return runtime_->StreamContainers(context, request); });
    EXPECT_TRUE(result.status.ok()) << result.status.error_message();
    return Flatten(result, [](const v1::StreamContainersResponse& m) -> const auto& { return m.containers(); });
  }
  std::vector<v1::ContainerStats> StreamContainerStats(const v1::ContainerStatsFilter& filter = {}) {
    v1::StreamContainerStatsRequest request;
    *request.mutable_filter() = filter;
    const auto result = ReadStream<v1::StreamContainerStatsResponse>(
        [&](grpc::ClientContext* context) { return runtime_->StreamContainerStats(context, request); });
    EXPECT_TRUE(result.status.ok()) << result.status.error_message();
    return Flatten(result, [](const v1::StreamContainerStatsResponse& m) -> const auto& { return m.container_stats(); });
  }
  std::vector<v1::PodSandboxStats> StreamPodStats(const v1::PodSandboxStatsFilter& filter = {}) {
    v1::StreamPodSandboxStatsRequest request;
    *request.mutable_filter() = filter;
    const auto result = ReadStream<v1::StreamPodSandboxStatsResponse>(
        [&](grpc::ClientContext* context) { return runtime_->StreamPodSandboxStats(context, request); });
    EXPECT_TRUE(result.status.ok()) << result.status.error_message();
    return Flatten(result, [](const v1::StreamPodSandboxStatsResponse& m) -> const auto& { return m.pod_sandbox_stats(); });
  }
  std::vector<v1::PodSandboxMetrics> StreamPodMetrics() {
    const auto result = ReadStream<v1::StreamPodSandboxMetricsResponse>([&](grpc::ClientContext* context) {
      return runtime_->StreamPodSandboxMetrics(context, v1::StreamPodSandboxMetricsRequest());
    });
    EXPECT_TRUE(result.status.ok()) << result.status.error_message();
    return Flatten(result, [](const v1::StreamPodSandboxMetricsResponse& m) -> const auto& { return m.pod_sandbox_metrics(); });
  }
  std::vector<v1::Image> StreamImages(const v1::ImageFilter& filter = {}) {
    v1::StreamImagesRequest request;
    *request.mutable_filter() = filter;
    const auto result = ReadStream<v1::StreamImagesResponse>(
        [&](grpc::ClientContext* context) { return images_->StreamImages(context, request); });
    EXPECT_TRUE(result.status.ok()) << result.status.error_message();
    return Flatten(result, [](const v1::StreamImagesResponse& m) -> const auto& { return m.images(); });
  }
  std::vector<v1::Image> ListImages(const v1::ImageFilter& filter = {}) {
    grpc::ClientContext context;
    v1::ListImagesRequest request;
    *request.mutable_filter() = filter;
    v1::ListImagesResponse response;
    EXPECT_TRUE(images_->ListImages(&context, request, &response).ok());
    return {response.images().begin(), response.images().end()};
  }

  std::unique_ptr<v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<v1::ImageService::Stub> images_;
};

const auto kPodId = [](const v1::PodSandbox& pod) { return pod.id(); };
const auto kContainerId = [](const v1::Container& container) { return container.id(); };
const auto kImageId = [](const v1::Image& image) { return image.id(); };
const auto kStatsId = [](const auto& stats) { return stats.attributes().id(); };
const auto kMetricsPodId = [](const v1::PodSandboxMetrics& metrics) { return metrics.pod_sandbox_id(); };

TEST_F(ListStreams, StreamsAnswerWhatTheListsAnswerWithTheSameFilters) {
  registry_->Push("multilayer", "multilayer:1");
  ASSERT_TRUE(client_->Pull(registry_->host() + "/multilayer:1").ok());
  const TestPod alpha = RunPod("alpha");
  const TestPod beta = RunPod("beta");
  const std::string running = RunContainer(alpha, "a-run", {"sleep", "1000"});
  RunContainer(beta, "b-run", {"sleep", "1000"});
  std::string created;
  ASSERT_TRUE(client_->Create(alpha.id, ContainerConfig("a-created", image_, {"true"}), alpha.config, &created).ok());

  // Pods: everything, by label, by id prefix, by state.
  v1::PodSandboxFilter pod_filter;
  EXPECT_THAT(Canonical(StreamPods(), kPodId), ElementsAreArray(Canonical(client_->ListPods(), kPodId)));
  EXPECT_THAT(StreamPods(), SizeIs(2));
  (*pod_filter.mutable_label_selector())["app"] = "beta";
  EXPECT_EQ(Ids(StreamPods(pod_filter), kPodId), std::set<std::string>{beta.id});
  pod_filter.Clear();
  pod_filter.set_id(alpha.id.substr(0, 12));
  EXPECT_EQ(Ids(StreamPods(pod_filter), kPodId), std::set<std::string>{alpha.id});
  pod_filter.Clear();
  pod_filter.mutable_state()->set_state(v1::SANDBOX_READY);
  EXPECT_THAT(Canonical(StreamPods(pod_filter), kPodId), ElementsAreArray(Canonical(client_->ListPods(pod_filter), kPodId)));

  // Containers: everything, by pod, by state, by label.
  v1::ContainerFilter container_filter;
  EXPECT_THAT(Canonical(StreamContainers(), kContainerId), ElementsAreArray(Canonical(client_->List(), kContainerId)));
  EXPECT_THAT(StreamContainers(), SizeIs(3));
  container_filter.set_pod_sandbox_id(alpha.id);
  EXPECT_EQ(Ids(StreamContainers(container_filter), kContainerId), (std::set<std::string>{running, created}));
  container_filter.Clear();
  container_filter.mutable_state()->set_state(v1::CONTAINER_CREATED);
  EXPECT_EQ(Ids(StreamContainers(container_filter), kContainerId), std::set<std::string>{created});
  container_filter.Clear();
  (*container_filter.mutable_label_selector())["container"] = "a-run";
  EXPECT_EQ(Ids(StreamContainers(container_filter), kContainerId), std::set<std::string>{running});

  // Stats and metrics change between two calls: the same items, not the same numbers.
  EXPECT_EQ(Ids(StreamContainerStats(), kStatsId), Ids(client_->ListStats(), kStatsId));
  v1::ContainerStatsFilter stats_filter;
  stats_filter.set_pod_sandbox_id(beta.id);
  EXPECT_EQ(Ids(StreamContainerStats(stats_filter), kStatsId), Ids(client_->ListStats(stats_filter), kStatsId));
  EXPECT_THAT(StreamContainerStats(stats_filter), SizeIs(1));
  EXPECT_EQ(Ids(StreamPodStats(), kStatsId), (std::set<std::string>{alpha.id, beta.id}));
  v1::PodSandboxStatsFilter pod_stats_filter;
  pod_stats_filter.set_id(alpha.id);
  EXPECT_EQ(Ids(StreamPodStats(pod_stats_filter), kStatsId), Ids(client_->ListPodStats(pod_stats_filter), kStatsId));
  EXPECT_EQ(Ids(StreamPodMetrics(), kMetricsPodId), Ids(client_->PodMetrics(), kMetricsPodId));

  // Images: everything, and one by name.
  EXPECT_THAT(Canonical(StreamImages(), kImageId), ElementsAreArray(Canonical(ListImages(), kImageId)));
  EXPECT_THAT(StreamImages(), SizeIs(2));
  v1::ImageFilter image_filter;
  image_filter.mutable_image()->set_image(image_);
  EXPECT_THAT(Canonical(StreamImages(image_filter), kImageId),
              ElementsAreArray(Canonical(ListImages(image_filter), kImageId)));
  EXPECT_THAT(StreamImages(image_filter), SizeIs(1));
}

TEST_F(ListStreams, AnEmptyAnswerIsAStreamWithoutMessages) {
  RunPod("lonely");
  size_t messages = 1;
  v1::PodSandboxFilter pod_filter;
  pod_filter.set_id("no-such-pod");
  EXPECT_THAT(StreamPods(pod_filter, &messages), IsEmpty());
  EXPECT_EQ(messages, 0u);
  v1::ContainerFilter container_filter;
  container_filter.set_id("no-such-container");
  EXPECT_THAT(StreamContainers(container_filter), IsEmpty());
  EXPECT_THAT(StreamContainerStats(), IsEmpty());  // the pod has no container
  v1::ImageFilter image_filter;
  image_filter.mutable_image()->set_image("no.such.registry/none:1");
  EXPECT_THAT(StreamImages(image_filter), IsEmpty());
}

TEST_F(ListStreams, ALargeAnswerComesInSeveralChunksWithEveryItemOnce) {
  // Pods whose annotations take 2/5 of a chunk's byte budget: two fit in a message, three don't.
  const std::string bulk(server::kStreamChunkLimits.max_bytes * 2 / 5, 'x');
  std::vector<std::string> ids;
  for (const char* name : {"big-1", "big-2", "big-3"}) {
    TestPod pod{"", PodConfig(name, log_dir_)};
    (*pod.config.mutable_annotations())["example.com/bulk"] = bulk;
    const grpc::Status status = client_->RunPod(pod.config, &pod.id);
    ASSERT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
    ids.push_back(pod.id);
  }
  size_t messages = 0;
  const std::vector<v1::PodSandbox> streamed = StreamPods({}, &messages);  // each message checked ≤ max_bytes
  EXPECT_GE(messages, 2u);
  ASSERT_THAT(streamed, SizeIs(3));  // no item twice
  EXPECT_EQ(Ids(streamed, kPodId), std::set<std::string>(ids.begin(), ids.end()));
  for (const v1::PodSandbox& pod : streamed) EXPECT_EQ(pod.annotations().at("example.com/bulk").size(), bulk.size());
  EXPECT_THAT(Canonical(streamed, kPodId), ElementsAreArray(Canonical(client_->ListPods(), kPodId)));
}

}  // namespace
}  // namespace cloison::testing
