#include "cloison/image/image_manager.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cloison/image/content_store.h"
#include "cloison/image/digest.h"
#include "cloison/image/http_client.h"
#include "cloison/image/image_store.h"
#include "cloison/image/manifest.h"
#include "test_tmpdir.h"

namespace cloison::image {
namespace {

using ::cloison::testing::TempDir;
using ::testing::HasSubstr;

const std::string kId = "sha256:" + std::string(64, 'a');

// An image manager over a store holding one image record (no blobs) with `tags`.
class ImageManagerTest : public ::testing::Test {
 protected:
  void Start(const std::vector<std::string>& tags) {
    ImageStore store(dir_.path().string() + "/records");
    ASSERT_TRUE(store.Load().ok());
    ImageRecord record;
    record.id = kId;
    record.repo_tags = tags;
    ASSERT_TRUE(store.Save(record).ok());
    manager_ = std::make_unique<ImageManager>(dir_.path().string(), config::ImageConfig());
    ASSERT_TRUE(manager_->Start().ok());
  }

  TempDir dir_;
  std::unique_ptr<ImageManager> manager_;
};

TEST_F(ImageManagerTest, HeldImageIsFailedPreconditionNamingIt) {
  Start({"registry.test/app:1"});
  absl::StatusOr<ImageRecord> held = manager_->FindAndHold("registry.test/app:1");
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_EQ(held->id, kId);
  const absl::Status status = manager_->Remove("registry.test/app:1");
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr(kId));
  EXPECT_THAT(status.message(), HasSubstr("registry.test/app:1"));
  EXPECT_TRUE(manager_->Find(kId).ok());
  manager_->Release(kId);
  EXPECT_TRUE(manager_->Remove("registry.test/app:1").ok());
  EXPECT_TRUE(absl::IsNotFound(manager_->FindAndHold("registry.test/app:1").status()));
}

TEST_F(ImageManagerTest, EveryHoldMustBeReleased) {
  Start({"registry.test/app:1"});
  manager_->Hold(kId);  // as recovery does for an existing container
  ASSERT_TRUE(manager_->FindAndHold(kId).ok());
  manager_->Release(kId);
  EXPECT_TRUE(absl::IsFailedPrecondition(manager_->Remove(kId)));
  manager_->Release(kId);
  EXPECT_TRUE(manager_->Remove(kId).ok());
}

TEST_F(ImageManagerTest, ImageNotHeldIsRemovedAndTheUsageFollows) {
  Start({"registry.test/app:1"});
  const StoreUsage before = manager_->Usage();
  EXPECT_EQ(manager_->Usage().inodes_used, before.inodes_used);
  ASSERT_TRUE(manager_->Remove(kId).ok());
  EXPECT_TRUE(absl::IsNotFound(manager_->Find(kId).status()));
  EXPECT_EQ(manager_->Usage().inodes_used, before.inodes_used - 1);  // the record file went
  EXPECT_TRUE(absl::IsNotFound(manager_->Remove(kId)));
}

TEST_F(ImageManagerTest, RemovingOneOfSeveralTagsOnlyUntagsEvenHeld) {
  Start({"registry.test/app:1", "registry.test/app:2"});
  manager_->Hold(kId);
  ASSERT_TRUE(manager_->Remove("registry.test/app:1").ok());
  absl::StatusOr<ImageRecord> record = manager_->Find(kId);
  ASSERT_TRUE(record.ok());
  EXPECT_THAT(record->repo_tags, ::testing::ElementsAre("registry.test/app:2"));
  EXPECT_TRUE(absl::IsFailedPrecondition(manager_->Remove("registry.test/app:2")));
}

// A registry on a loopback port speaking plain HTTP, one request per connection: answers GETs
// of the paths in `bodies` (with their Content-Type), 404 to the rest, and drops TLS hellos.
// Remembers the paths asked for.
class TinyRegistry {
 public:
  struct Answer {
    std::string content_type;
    std::string body;
  };
  explicit TinyRegistry(std::map<std::string, Answer> answers) : answers_(std::move(answers)) {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), length), 0);
    EXPECT_EQ(listen(listener_, 16), 0);
    EXPECT_EQ(getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port_ = ntohs(address.sin_port);
    server_ = std::jthread([this] { Serve(); });
  }
  ~TinyRegistry() {
    shutdown(listener_, SHUT_RDWR);  // wakes accept()
    server_.join();
    close(listener_);
  }
  std::string host() const { return absl::StrCat("127.0.0.1:", port_); }
  std::vector<std::string> requested() const {
    absl::MutexLock lock(&mu_);
    return requested_;
  }

 private:
  void Serve() {
    for (;;) {
      const int connection = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (connection < 0) return;
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos && (request.empty() || request[0] != '\x16')) {
        const ssize_t n = read(connection, buffer, sizeof(buffer));
        if (n <= 0) break;
        request.append(buffer, static_cast<size_t>(n));
      }
      if (!request.empty() && request[0] != '\x16') Reply(connection, request);
      close(connection);
    }
  }
  void Reply(int connection, const std::string& request) {
    const size_t start = request.find(' ') + 1;
    const std::string path = request.substr(start, request.find(' ', start) - start);
    {
      absl::MutexLock lock(&mu_);
      requested_.push_back(path);
    }
    const auto it = answers_.find(path);
    const std::string head =
        it == answers_.end()
            ? "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            : absl::StrCat("HTTP/1.1 200 OK\r\nContent-Type: ", it->second.content_type,
                           "\r\nContent-Length: ", it->second.body.size(), "\r\nConnection: close\r\n\r\n");
    const std::string response = it == answers_.end() ? head : head + it->second.body;
    for (size_t done = 0; done < response.size();) {
      const ssize_t n = write(connection, response.data() + done, response.size() - done);
      if (n <= 0) return;
      done += static_cast<size_t>(n);
    }
  }

  std::map<std::string, Answer> answers_;
  mutable absl::Mutex mu_;
  std::vector<std::string> requested_ ABSL_GUARDED_BY(mu_);
  int listener_ = -1;
  uint16_t port_ = 0;
  std::jthread server_;
};

// A manifest may list more layers than the process can have threads (each thread's stack is two
// memory mappings: vm.max_map_count, 65530 by default, allows about 32000). The pull used to
// start a thread per layer, and std::thread's constructor threw std::system_error out of it.
TEST_F(ImageManagerTest, PullOfAManifestWithTensOfThousandsOfLayersFailsCleanly) {
  constexpr int kLayers = 40000;
  const std::string config_blob = R"({"config":{"User":"1000"}})";
  const std::string config_digest = Sha256Digest(config_blob);
  std::string manifest = absl::StrCat(R"({"schemaVersion":2,"config":{"digest":")", config_digest, R"(","size":)",
                                      config_blob.size(), R"(},"layers":[)");
  for (int i = 0; i < kLayers; ++i) absl::StrAppend(&manifest, i == 0 ? "" : ",", R"({"digest":"x","size":1})");
  manifest += "]}";
  TinyRegistry registry({{"/v2/many/manifests/latest", {kOciManifest, manifest}},
                         {absl::StrCat("/v2/many/blobs/", config_digest), {"application/octet-stream", config_blob}}});
  config::ImageConfig config;
  config.max_concurrent_downloads = 2;
  ImageManager manager(dir_.path().string(), config);
  ASSERT_TRUE(manager.Start().ok());

  const absl::StatusOr<ImageRecord> pulled = manager.Pull(absl::StrCat(registry.host(), "/many"), {});
  EXPECT_TRUE(absl::IsFailedPrecondition(pulled.status())) << pulled.status();
  EXPECT_THAT(pulled.status().message(), HasSubstr("layer x has unsupported media type \"\""));
}

// Settings for pulls from a TinyRegistry (the struct's 0 downloads at once would wait forever).
config::ImageConfig PullSettings() {
  config::ImageConfig config;
  config.max_concurrent_downloads = 2;
  return config;
}

// A manifest whose layer has no size used to be pulled with a content store writer that took
// any length: the registry could stream that layer without end onto the disk.
TEST_F(ImageManagerTest, PullOfALayerWithoutSizeIsRefusedBeforeAnyBlobIsFetched) {
  const std::string config_blob = R"({"config":{}})";
  const std::string layer_blob = "a layer";
  const std::string manifest =
      absl::StrCat(R"({"schemaVersion":2,"config":{"digest":")", Sha256Digest(config_blob), R"(","size":)",
                   config_blob.size(), R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar",)",
                   R"("digest":")", Sha256Digest(layer_blob), R"("}]})");
  TinyRegistry registry({{"/v2/nosize/manifests/latest", {kOciManifest, manifest}},
                         {absl::StrCat("/v2/nosize/blobs/", Sha256Digest(config_blob)), {"", config_blob}},
                         {absl::StrCat("/v2/nosize/blobs/", Sha256Digest(layer_blob)), {"", layer_blob}}});
  ImageManager manager(dir_.path().string(), PullSettings());
  ASSERT_TRUE(manager.Start().ok());

  const absl::StatusOr<ImageRecord> pulled = manager.Pull(absl::StrCat(registry.host(), "/nosize"), {});
  EXPECT_TRUE(absl::IsInvalidArgument(pulled.status())) << pulled.status();
  EXPECT_THAT(pulled.status().message(), HasSubstr(R"(manifest layer: "size" is missing)"));
  EXPECT_THAT(registry.requested(), ::testing::Not(::testing::Contains(HasSubstr("/blobs/"))));
}

// The config is read whole into memory: a manifest declaring a 10 GiB one used to make cloisond
// download it (and read it into memory).
TEST_F(ImageManagerTest, PullOfAConfigOverFourMebibytesIsRefusedBeforeFetchingIt) {
  const std::string config_blob = R"({"config":{}})";
  const std::string manifest = absl::StrCat(R"({"schemaVersion":2,"config":{"digest":")", Sha256Digest(config_blob),
                                            R"(","size":10737418240},"layers":[]})");
  TinyRegistry registry({{"/v2/bigconfig/manifests/latest", {kOciManifest, manifest}},
                         {absl::StrCat("/v2/bigconfig/blobs/", Sha256Digest(config_blob)), {"", config_blob}}});
  ImageManager manager(dir_.path().string(), PullSettings());
  ASSERT_TRUE(manager.Start().ok());

  const absl::StatusOr<ImageRecord> pulled = manager.Pull(absl::StrCat(registry.host(), "/bigconfig"), {});
  EXPECT_TRUE(absl::IsInvalidArgument(pulled.status())) << pulled.status();
  EXPECT_THAT(pulled.status().message(), HasSubstr(R"(manifest config: "size" 10737418240 is over)"));
  EXPECT_THAT(registry.requested(), ::testing::Not(::testing::Contains(HasSubstr("/blobs/"))));
}

// A blob longer than its descriptor says is cut off as it arrives, and nothing of it is kept.
TEST_F(ImageManagerTest, BlobLongerThanItsSizeIsDataLossAndNotKept) {
  const std::string config_blob = R"({"config":{}})";
  const std::string layer_blob(1 << 20, 'x');
  const std::string manifest = absl::StrCat(
      R"({"schemaVersion":2,"config":{"digest":")", Sha256Digest(config_blob), R"(","size":)", config_blob.size(),
      R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")", Sha256Digest(layer_blob),
      R"(","size":10}]})");
  TinyRegistry registry({{"/v2/long/manifests/latest", {kOciManifest, manifest}},
                         {absl::StrCat("/v2/long/blobs/", Sha256Digest(config_blob)), {"", config_blob}},
                         {absl::StrCat("/v2/long/blobs/", Sha256Digest(layer_blob)), {"", layer_blob}}});
  ImageManager manager(dir_.path().string(), PullSettings());
  ASSERT_TRUE(manager.Start().ok());

  const absl::StatusOr<ImageRecord> pulled = manager.Pull(absl::StrCat(registry.host(), "/long"), {});
  EXPECT_TRUE(absl::IsDataLoss(pulled.status())) << pulled.status();
  EXPECT_THAT(pulled.status().message(), HasSubstr("is larger than its declared 10 bytes"));
  EXPECT_FALSE(ContentStore(dir_.path().string() + "/content").Has(Sha256Digest(layer_blob)));
}

// A pull that fails at its layer keeps none of what it fetched before: the manifest and the
// config stayed in the content store, unused, until a removal or a restart collected garbage.
TEST_F(ImageManagerTest, FailedPullKeepsNoBlobItFetched) {
  const std::string config_blob = R"({"config":{}})";
  const std::string layer_blob = "a layer the registry does not have";
  const std::string manifest = absl::StrCat(
      R"({"schemaVersion":2,"config":{"digest":")", Sha256Digest(config_blob), R"(","size":)", config_blob.size(),
      R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")", Sha256Digest(layer_blob),
      R"(","size":)", layer_blob.size(), "}]}");
  TinyRegistry registry({{"/v2/partial/manifests/latest", {kOciManifest, manifest}},
                         {absl::StrCat("/v2/partial/blobs/", Sha256Digest(config_blob)), {"", config_blob}}});
  ImageManager manager(dir_.path().string(), PullSettings());
  ASSERT_TRUE(manager.Start().ok());

  const absl::StatusOr<ImageRecord> pulled = manager.Pull(absl::StrCat(registry.host(), "/partial"), {});
  EXPECT_TRUE(absl::IsNotFound(pulled.status())) << pulled.status();
  EXPECT_THAT(registry.requested(), ::testing::Contains(absl::StrCat("/v2/partial/blobs/", Sha256Digest(config_blob))));
  EXPECT_THAT(ContentStore(dir_.path().string() + "/content").List(), ::testing::IsEmpty());
}

// containers/image reads at most 4 MiB of a manifest (MaxManifestBodySize); cloisond took 8.
TEST_F(ImageManagerTest, ManifestOverFourMebibytesIsResourceExhausted) {
  std::string manifest = R"({"schemaVersion":2,"layers":[)";
  manifest.append(static_cast<size_t>(kMaxManifestBytes), ' ');
  manifest += "]}";
  TinyRegistry registry({{"/v2/huge/manifests/latest", {kOciManifest, manifest}}});
  ImageManager manager(dir_.path().string(), PullSettings());
  ASSERT_TRUE(manager.Start().ok());

  const absl::StatusOr<ImageRecord> pulled = manager.Pull(absl::StrCat(registry.host(), "/huge"), {});
  EXPECT_TRUE(absl::IsResourceExhausted(pulled.status())) << pulled.status();
  EXPECT_THAT(pulled.status().message(), HasSubstr("exceeds 4194304 bytes"));
}

// A body captured whole (manifests, token answers) stops at the request's max_body.
TEST(PerformHttpTest, CapturedBodyIsBoundedByMaxBody) {
  TinyRegistry server({{"/token", {"application/json", std::string(1000, 't')}}});
  HttpRequest request;
  request.url = absl::StrCat("http://", server.host(), "/token");
  request.max_body = 1000;
  absl::StatusOr<HttpResponse> response = PerformHttp(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body.size(), 1000u);
  request.max_body = 999;
  response = PerformHttp(request);
  EXPECT_TRUE(absl::IsResourceExhausted(response.status())) << response.status();
  EXPECT_THAT(response.status().message(), HasSubstr("exceeds 999 bytes"));
}

// The config is read again at each CreateContainer: a config stored before configs were bounded
// is refused rather than read into memory.
TEST_F(ImageManagerTest, ReadConfigRefusesAStoredConfigOverTheBound) {
  const std::string big_config(static_cast<size_t>(kMaxImageConfigBytes) + 1, ' ');
  const std::string big_id = Sha256Digest(big_config);
  const std::string small_config = R"({"config":{}})";
  {
    ContentStore content(dir_.path().string() + "/content");
    ASSERT_TRUE(content.Start().ok());
    ASSERT_TRUE(content.Put(big_id, big_config).ok());
    ASSERT_TRUE(content.Put(Sha256Digest(small_config), small_config).ok());
    ImageStore store(dir_.path().string() + "/records");
    ASSERT_TRUE(store.Load().ok());
    ImageRecord record;
    for (const std::string& id : {big_id, Sha256Digest(small_config)}) {
      record.id = id;
      ASSERT_TRUE(store.Save(record).ok());
    }
  }
  ImageManager manager(dir_.path().string(), config::ImageConfig());
  ASSERT_TRUE(manager.Start().ok());

  ImageRecord record;
  record.id = big_id;
  const absl::StatusOr<std::string> big = manager.ReadConfig(record);
  EXPECT_TRUE(absl::IsFailedPrecondition(big.status())) << big.status();
  EXPECT_THAT(big.status().message(), HasSubstr(absl::StrCat("blob ", big_id, " is 4194305 bytes, over the 4194304")));
  record.id = Sha256Digest(small_config);
  const absl::StatusOr<std::string> small = manager.ReadConfig(record);
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(*small, small_config);
  record.id = kId;
  EXPECT_TRUE(absl::IsNotFound(manager.ReadConfig(record).status()));
}

}  // namespace
}  // namespace cloison::image
