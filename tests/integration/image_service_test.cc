// Integration tests of the CRI ImageService: the real cloisond pulling from a real
// docker-registry on loopback (plain, basic auth, token auth), with the fixture images.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <filesystem>
#include <thread>

#include "cloisond_process.h"
#include "local_registry.h"
#include "nlohmann/json.hpp"
#include "wait_until.h"

namespace cloison::testing {
namespace {

namespace v1 = ::runtime::v1;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct PullResult {
  grpc::Status status;
  std::string image_ref;
};

PullResult PullWithAuth(CloisondProcess& daemon, const std::string& image, const v1::AuthConfig& auth) {
  grpc::ClientContext context;
  v1::PullImageRequest request;
  request.mutable_image()->set_image(image);
  *request.mutable_auth() = auth;
  v1::PullImageResponse response;
  PullResult result;
  result.status = daemon.Images()->PullImage(&context, request, &response);
  result.image_ref = response.image_ref();
  return result;
}

PullResult Pull(CloisondProcess& daemon, const std::string& image, const std::string& user = "",
                const std::string& password = "") {
  v1::AuthConfig auth;
  if (!user.empty()) {
    auth.set_username(user);
    auth.set_password(password);
  }
  return PullWithAuth(daemon, image, auth);
}

// The auth kubelet sends for an image pull secret of `server_address`'s registry.
v1::AuthConfig AuthFor(const std::string& server_address) {
  v1::AuthConfig auth;
  auth.set_username(LocalRegistry::kUser);
  auth.set_password(LocalRegistry::kPassword);
  auth.set_server_address(server_address);
  return auth;
}

v1::ImageStatusResponse Status(CloisondProcess& daemon, const std::string& image, bool verbose = false) {
  grpc::ClientContext context;
  v1::ImageStatusRequest request;
  request.mutable_image()->set_image(image);
  request.set_verbose(verbose);
  v1::ImageStatusResponse response;
  const grpc::Status status = daemon.Images()->ImageStatus(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

std::vector<v1::Image> ListImages(CloisondProcess& daemon, const std::string& filter = "") {
  grpc::ClientContext context;
  v1::ListImagesRequest request;
  if (!filter.empty()) request.mutable_filter()->mutable_image()->set_image(filter);
  v1::ListImagesResponse response;
  EXPECT_TRUE(daemon.Images()->ListImages(&context, request, &response).ok());
  return {response.images().begin(), response.images().end()};
}

grpc::Status Remove(CloisondProcess& daemon, const std::string& image) {
  grpc::ClientContext context;
  v1::RemoveImageRequest request;
  request.mutable_image()->set_image(image);
  v1::RemoveImageResponse response;
  return daemon.Images()->RemoveImage(&context, request, &response);
}

v1::FilesystemUsage ImageFs(CloisondProcess& daemon) {
  grpc::ClientContext context;
  v1::ImageFsInfoResponse response;
  EXPECT_TRUE(daemon.Images()->ImageFsInfo(&context, v1::ImageFsInfoRequest(), &response).ok());
  EXPECT_EQ(response.image_filesystems_size(), 1);
  return response.image_filesystems_size() > 0 ? response.image_filesystems(0) : v1::FilesystemUsage();
}

std::string LayersDir(const CloisondProcess& daemon) {
  return (daemon.dir().path() / "root/images/layers").string();
}

size_t CountEntries(const std::string& dir) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = std::filesystem::directory_iterator(dir, ec); it != std::filesystem::directory_iterator(); ++it) ++n;
  return n;
}

// The unpacked layer directory holding `relative`, or "" when none does.
std::string FindInLayers(const CloisondProcess& daemon, const std::string& relative) {
  std::error_code ec;
  for (const auto& layer : std::filesystem::directory_iterator(LayersDir(daemon), ec)) {
    struct stat st{};
    if (lstat((layer.path() / relative).c_str(), &st) == 0) return layer.path().string();
  }
  return "";
}

TEST(ImageService, PullByTagThenStatusListAndFsInfo) {
  auto registry = LocalRegistry::Start();
  ASSERT_NE(registry, nullptr);
  const std::string digest = registry->Push("busybox", "library/busybox:1.0");
  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();

  const std::string name = registry->host() + "/library/busybox:1.0";
  const PullResult pulled = Pull(daemon, name);
  ASSERT_TRUE(pulled.status.ok()) << pulled.status.error_message() << daemon.Log();
  EXPECT_THAT(pulled.image_ref, ::testing::StartsWith("sha256:"));

  const v1::ImageStatusResponse status = Status(daemon, pulled.image_ref, /*verbose=*/true);
  ASSERT_TRUE(status.has_image());
  EXPECT_EQ(status.image().id(), pulled.image_ref);
  EXPECT_THAT(status.image().repo_tags(), ElementsAre(name));
  EXPECT_THAT(status.image().repo_digests(),
              ElementsAre(registry->host() + "/library/busybox@" + digest));
  EXPECT_GT(status.image().size(), 100000u);
  const nlohmann::json info = nlohmann::json::parse(status.info().at("info"));
  EXPECT_EQ(info["config"]["architecture"], "amd64");
  EXPECT_EQ(info["config"]["config"]["Cmd"][0], "/bin/sh");

  // The same image is found by tag and by digest reference.
  EXPECT_EQ(Status(daemon, name).image().id(), pulled.image_ref);
  EXPECT_EQ(Status(daemon, registry->host() + "/library/busybox@" + digest).image().id(), pulled.image_ref);
  EXPECT_FALSE(Status(daemon, registry->host() + "/library/busybox:2.0").has_image());  // NotFound: empty

  const std::vector<v1::Image> images = ListImages(daemon);
  ASSERT_EQ(images.size(), 1u);
  EXPECT_EQ(images[0].id(), pulled.image_ref);

  // The layer is unpacked, busybox runs from it.
  const std::string layer = FindInLayers(daemon, "bin/busybox");
  ASSERT_FALSE(layer.empty());
  EXPECT_EQ(access((layer + "/bin/busybox").c_str(), X_OK), 0);

  grpc::ClientContext context;
  v1::ImageFsInfoResponse fs;
  ASSERT_TRUE(daemon.Images()->ImageFsInfo(&context, v1::ImageFsInfoRequest(), &fs).ok());
  ASSERT_EQ(fs.image_filesystems_size(), 1);
  EXPECT_EQ(fs.image_filesystems(0).fs_id().mountpoint(), (daemon.dir().path() / "root/images").string());
  EXPECT_GT(fs.image_filesystems(0).used_bytes().value(), 500000u);
  EXPECT_GT(fs.image_filesystems(0).inodes_used().value(), 5u);
}

TEST(ImageService, PullByDigestRecordsNoTag) {
  auto registry = LocalRegistry::Start();
  ASSERT_NE(registry, nullptr);
  const std::string digest = registry->Push("busybox", "library/busybox:1.0");
  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  const std::string by_digest = registry->host() + "/library/busybox@" + digest;
  const PullResult pulled = Pull(daemon, by_digest);
  ASSERT_TRUE(pulled.status.ok()) << pulled.status.error_message();
  const v1::ImageStatusResponse status = Status(daemon, by_digest);
  EXPECT_TRUE(status.image().repo_tags().empty());
  EXPECT_THAT(status.image().repo_digests(), ElementsAre(by_digest));
}

TEST(ImageService, MultiArchIndexResolvesToThisNode) {
  auto registry = LocalRegistry::Start();
  ASSERT_NE(registry, nullptr);
  const std::string index_digest = registry->Push("multiarch", "multi:1");
  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  const PullResult pulled = Pull(daemon, registry->host() + "/multi:1");
  ASSERT_TRUE(pulled.status.ok()) << pulled.status.error_message();
  const v1::ImageStatusResponse status = Status(daemon, pulled.image_ref, true);
  // The repo digest is the index's, as the tag points at the index.
  EXPECT_THAT(status.image().repo_digests(), ElementsAre(registry->host() + "/multi@" + index_digest));
  EXPECT_EQ(nlohmann::json::parse(status.info().at("info"))["config"]["architecture"], "amd64");
  const std::string layer = FindInLayers(daemon, "arch");
  ASSERT_FALSE(layer.empty());
  EXPECT_EQ(ReadText(layer + "/arch").substr(0, 5), "amd64");
}

TEST(ImageService, ZstdAndMultiLayerWithWhiteoutsAndHardLinks) {
  auto registry = LocalRegistry::Start();
  ASSERT_NE(registry, nullptr);
  registry->Push("zstd", "zstd:1");
  registry->Push("multilayer", "multilayer:1");
  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  ASSERT_TRUE(Pull(daemon, registry->host() + "/zstd:1").status.ok());
  const PullResult multi = Pull(daemon, registry->host() + "/multilayer:1");
  ASSERT_TRUE(multi.status.ok()) << multi.status.error_message();

  // Layer 2: the hard link shares the inode of a.txt.
  const std::string layer2 = FindInLayers(daemon, "data/hard");
  ASSERT_FALSE(layer2.empty());
  struct stat a{}, hard{};
  ASSERT_EQ(stat((layer2 + "/data/a.txt").c_str(), &a), 0);
  ASSERT_EQ(stat((layer2 + "/data/hard").c_str(), &hard), 0);
  EXPECT_EQ(a.st_ino, hard.st_ino);
  // Layer 3: b.txt is an overlay whiteout (0/0 char device), dir is opaque.
  std::string layer3;
  for (const auto& layer : std::filesystem::directory_iterator(LayersDir(daemon))) {
    struct stat st{};
    if (lstat((layer.path() / "data/b.txt").c_str(), &st) == 0 && S_ISCHR(st.st_mode)) {
      layer3 = layer.path().string();
      EXPECT_EQ(st.st_rdev, makedev(0, 0));
    }
  }
  ASSERT_FALSE(layer3.empty()) << "no whiteout for data/b.txt";
  char value[8] = {};
  ASSERT_EQ(lgetxattr((layer3 + "/data/dir").c_str(), "trusted.overlay.opaque", value, sizeof(value)), 1);
  EXPECT_EQ(value[0], 'y');
  // busybox layer is shared: zstd and gzip copies are different blobs, so 1 (zstd) + 3 layers.
  EXPECT_EQ(CountEntries(LayersDir(daemon)), 4u);
}

TEST(ImageService, BasicAuth) {
  auto registry = LocalRegistry::Start(RegistryAuth::kBasic);
  ASSERT_NE(registry, nullptr);
  registry->Push("busybox", "private/busybox:1");
  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  const std::string name = registry->host() + "/private/busybox:1";

  PullResult anonymous = Pull(daemon, name);
  EXPECT_EQ(anonymous.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << anonymous.status.error_message();
  EXPECT_THAT(anonymous.status.error_message(), HasSubstr("no credentials were given"));
  PullResult wrong = Pull(daemon, name, LocalRegistry::kUser, "wrong");
  EXPECT_EQ(wrong.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << wrong.status.error_message();
  PullResult right = Pull(daemon, name, LocalRegistry::kUser, LocalRegistry::kPassword);
  EXPECT_TRUE(right.status.ok()) << right.status.error_message();
}

TEST(ImageService, TokenAuth) {
  auto registry = LocalRegistry::Start(RegistryAuth::kToken);
  ASSERT_NE(registry, nullptr);
  registry->Push("busybox", "private/busybox:1");
  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  const std::string name = registry->host() + "/private/busybox:1";

  PullResult anonymous = Pull(daemon, name);
  EXPECT_EQ(anonymous.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << anonymous.status.error_message();
  PullResult wrong = Pull(daemon, name, LocalRegistry::kUser, "wrong");
  EXPECT_EQ(wrong.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(wrong.status.error_message(), HasSubstr("rejected the credentials"));
  // The auth field (base64 user:password), as kubelet passes docker config secrets.
  grpc::ClientContext context;
  v1::PullImageRequest request;
  request.mutable_image()->set_image(name);
  request.mutable_auth()->set_auth("Y2xvaXNvbjpzM2NyZXQtcGFzcw==");  // cloison:s3cret-pass
  v1::PullImageResponse response;
  const grpc::Status status = daemon.Images()->PullImage(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// kubelet names the registry its credentials belong to (AuthConfig.server_address): they are
// sent there only, so a secret for one registry never reaches another.
TEST(ImageService, CredentialsGoOnlyToTheRegistryTheyBelongTo) {
  auto registry = LocalRegistry::Start(RegistryAuth::kBasic);
  ASSERT_NE(registry, nullptr);
  registry->Push("busybox", "private/busybox:1");
  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  const std::string name = registry->host() + "/private/busybox:1";

  const PullResult foreign = PullWithAuth(daemon, name, AuthFor("https://registry.example.com/v2/"));
  EXPECT_EQ(foreign.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << foreign.status.error_message();
  EXPECT_THAT(foreign.status.error_message(),
              HasSubstr("the credentials given belong to registry.example.com (auth.server_address), not " +
                        registry->host()));
  // Another port is another registry.
  const PullResult other_port = PullWithAuth(daemon, name, AuthFor("127.0.0.1:1"));
  EXPECT_EQ(other_port.status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << other_port.status.error_message();
  EXPECT_TRUE(ListImages(daemon).empty());

  const PullResult no_host = PullWithAuth(daemon, name, AuthFor("https:///v2/"));
  EXPECT_EQ(no_host.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << no_host.status.error_message();
  EXPECT_THAT(no_host.status.error_message(), HasSubstr("auth.server_address"));

  const PullResult matching = PullWithAuth(daemon, name, AuthFor("http://" + registry->host() + "/v2/"));
  EXPECT_TRUE(matching.status.ok()) << matching.status.error_message();
  const PullResult bare_host = PullWithAuth(daemon, name, AuthFor(registry->host()));
  EXPECT_TRUE(bare_host.status.ok()) << bare_host.status.error_message();
}

// As containerd: credentials naming the registry are not sent to its mirrors (the mirror
// answers 401 and the origin serves the pull); credentials naming no registry go to both.
TEST(ImageService, CredentialsNamingTheOriginAreNotSentToItsMirror) {
  auto origin = LocalRegistry::Start(RegistryAuth::kBasic);
  auto mirror = LocalRegistry::Start(RegistryAuth::kBasic);
  ASSERT_NE(origin, nullptr);
  ASSERT_NE(mirror, nullptr);
  origin->Push("busybox", "private/busybox:1");
  mirror->Push("busybox", "private/busybox:1");
  CloisondProcess daemon("[registries.\"" + origin->host() + "\"]\nmirrors = [\"" + mirror->host() + "\"]\n");
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  const std::string name = origin->host() + "/private/busybox:1";

  const PullResult bound = PullWithAuth(daemon, name, AuthFor(origin->host()));
  ASSERT_TRUE(bound.status.ok()) << bound.status.error_message();
  const nlohmann::json info = nlohmann::json::parse(Status(daemon, name, true).info().at("info"));
  ASSERT_EQ(info["layers"].size(), 1u);
  const std::string layer = info["layers"][0]["digest"];
  EXPECT_EQ(origin->CountBlobGets(layer), 1);
  EXPECT_EQ(mirror->CountBlobGets(layer), 0);

  ASSERT_TRUE(Remove(daemon, bound.image_ref).ok());  // collects the layer: the next pull fetches it again
  const PullResult unbound = PullWithAuth(daemon, name, AuthFor(""));
  ASSERT_TRUE(unbound.status.ok()) << unbound.status.error_message();
  EXPECT_EQ(mirror->CountBlobGets(layer), 1);
  EXPECT_EQ(origin->CountBlobGets(layer), 1);
}

TEST(ImageService, CorruptedBlobFailsThePullAndKeepsNothing) {
  auto registry = LocalRegistry::Start();
  ASSERT_NE(registry, nullptr);
  registry->Push("busybox", "library/busybox:1.0");
  // Corrupt the layer: read the manifest from the fixture layout to find its digest.
  const nlohmann::json index = nlohmann::json::parse(
      ReadText(LocalRegistry::FixtureLayout("busybox") + "/index.json"));
  const std::string manifest_digest = index["manifests"][0]["digest"];
  const nlohmann::json manifest = nlohmann::json::parse(ReadText(
      LocalRegistry::FixtureLayout("busybox") + "/blobs/sha256/" + manifest_digest.substr(7)));
  const std::string layer_digest = manifest["layers"][0]["digest"];
  registry->CorruptBlob(layer_digest);

  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  const PullResult pulled = Pull(daemon, registry->host() + "/library/busybox:1.0");
  EXPECT_EQ(pulled.status.error_code(), grpc::StatusCode::DATA_LOSS) << pulled.status.error_message();
  EXPECT_THAT(pulled.status.error_message(), HasSubstr("does not match its digest"));
  EXPECT_TRUE(ListImages(daemon).empty());
  EXPECT_EQ(CountEntries(LayersDir(daemon)), 0u);
  EXPECT_NE(access((daemon.dir().path() / "root/images/content/blobs/sha256" / layer_digest.substr(7)).c_str(), F_OK), 0);
  EXPECT_EQ(CountEntries((daemon.dir().path() / "root/images/content/ingest").string()), 0u);
}

// The OCI image spec requires a descriptor's size, and it is what bounds a blob's download: a
// manifest without layer sizes used to be pulled with no bound on what the registry sent. It is
// refused before any layer is fetched. (distribution 2.8 stores such a manifest as it is.)
TEST(ImageService, ManifestWithoutLayerSizesIsInvalidArgumentNamingSize) {
  auto registry = LocalRegistry::Start();
  ASSERT_NE(registry, nullptr);
  registry->Push("busybox", "library/busybox:1.0");
  const std::string layout = LocalRegistry::FixtureLayout("busybox");
  const nlohmann::json index = nlohmann::json::parse(ReadText(layout + "/index.json"));
  const std::string manifest_digest = index["manifests"][0]["digest"];
  nlohmann::json manifest = nlohmann::json::parse(ReadText(layout + "/blobs/sha256/" + manifest_digest.substr(7)));
  ASSERT_FALSE(manifest["layers"].empty());
  for (nlohmann::json& layer : manifest["layers"]) layer.erase("size");
  const CommandResult put = RunCommand(
      {"curl", "--silent", "--show-error", "--fail", "--request", "PUT", "--header",
       "Content-Type: application/vnd.oci.image.manifest.v1+json", "--data-binary", manifest.dump(),
       "http://" + registry->host() + "/v2/library/busybox/manifests/nosize"});
  ASSERT_TRUE(put.ok()) << put.output << registry->Log();

  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  const PullResult pulled = Pull(daemon, registry->host() + "/library/busybox:nosize");
  EXPECT_EQ(pulled.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << pulled.status.error_message();
  EXPECT_THAT(pulled.status.error_message(), HasSubstr(R"(manifest layer: "size" is missing)"));
  EXPECT_TRUE(ListImages(daemon).empty());
  EXPECT_EQ(CountEntries(LayersDir(daemon)), 0u);
}

TEST(ImageService, ConcurrentPullsShareOneDownload) {
  auto registry = LocalRegistry::Start();
  ASSERT_NE(registry, nullptr);
  registry->Push("multilayer", "multilayer:1");
  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  const std::string name = registry->host() + "/multilayer:1";
  PullResult results[4];
  {
    std::vector<std::jthread> pullers;
    for (PullResult& result : results) pullers.emplace_back([&] { result = Pull(daemon, name); });
  }
  for (const PullResult& result : results) {
    ASSERT_TRUE(result.status.ok()) << result.status.error_message();
    EXPECT_EQ(result.image_ref, results[0].image_ref);
  }
  const v1::ImageStatusResponse status = Status(daemon, name, true);
  const nlohmann::json info = nlohmann::json::parse(status.info().at("info"));
  ASSERT_EQ(info["layers"].size(), 3u);
  for (const nlohmann::json& layer : info["layers"]) {
    EXPECT_EQ(registry->CountBlobGets(layer["digest"]), 1) << layer["digest"];
  }
}

TEST(ImageService, ImagesSurviveARestart) {
  auto registry = LocalRegistry::Start();
  ASSERT_NE(registry, nullptr);
  registry->Push("busybox", "library/busybox:1.0");
  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  const PullResult pulled = Pull(daemon, registry->host() + "/library/busybox:1.0");
  ASSERT_TRUE(pulled.status.ok());
  kill(daemon.pid(), SIGKILL);  // as a crash would
  ASSERT_TRUE(daemon.Exited(std::chrono::seconds(5)).exited);
  // Leftovers of an interrupted pull are cleaned at start.
  daemon.dir().Write("root/images/content/ingest/leftover-123", "partial");
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  const std::vector<v1::Image> images = ListImages(daemon);
  ASSERT_EQ(images.size(), 1u);
  EXPECT_EQ(images[0].id(), pulled.image_ref);
  EXPECT_EQ(CountEntries((daemon.dir().path() / "root/images/content/ingest").string()), 0u);
}

TEST(ImageService, MirrorsAreTriedBeforeTheOrigin) {
  auto origin = LocalRegistry::Start();
  auto mirror = LocalRegistry::Start();
  ASSERT_NE(origin, nullptr);
  ASSERT_NE(mirror, nullptr);
  mirror->Push("busybox", "library/busybox:1.0");  // only the mirror has it
  origin->Push("zstd", "other/zstd:1");             // only the origin has this one
  CloisondProcess daemon("[registries.\"" + origin->host() + "\"]\nmirrors = [\"" + mirror->host() + "\"]\n");
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  const PullResult via_mirror = Pull(daemon, origin->host() + "/library/busybox:1.0");
  ASSERT_TRUE(via_mirror.status.ok()) << via_mirror.status.error_message();
  EXPECT_THAT(Status(daemon, via_mirror.image_ref).image().repo_tags(),
              ElementsAre(origin->host() + "/library/busybox:1.0"));
  const PullResult fallback = Pull(daemon, origin->host() + "/other/zstd:1");
  EXPECT_TRUE(fallback.status.ok()) << fallback.status.error_message();
}

TEST(ImageService, ShortNamesUseTheSearchRegistries) {
  auto registry = LocalRegistry::Start();
  ASSERT_NE(registry, nullptr);
  registry->Push("busybox", "busybox:1.0");
  CloisondProcess daemon("[image]\nsearch_registries = [\"" + registry->host() + "\"]\n");
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  const PullResult pulled = Pull(daemon, "busybox:1.0");
  ASSERT_TRUE(pulled.status.ok()) << pulled.status.error_message();
  EXPECT_THAT(Status(daemon, "busybox:1.0").image().repo_tags(), ElementsAre(registry->host() + "/busybox:1.0"));
}

// [image] pinned_images: ListImages and ImageStatus report pinned=true for the images it
// matches (kubelet's image garbage collection keeps them), and false for the others.
TEST(ImageService, PinnedImagesAreReportedInListAndStatus) {
  auto registry = LocalRegistry::Start();
  ASSERT_NE(registry, nullptr);
  registry->Push("busybox", "infra/agent:1.0");
  registry->Push("multilayer", "apps/web:1.0");
  CloisondProcess daemon("[image]\npinned_images = [\"" + registry->host() + "/infra/*\", \"*no-such-image*\"]\n");
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  const std::string agent = registry->host() + "/infra/agent:1.0";
  const std::string web = registry->host() + "/apps/web:1.0";
  const PullResult agent_pull = Pull(daemon, agent);
  const PullResult web_pull = Pull(daemon, web);
  ASSERT_TRUE(agent_pull.status.ok()) << agent_pull.status.error_message();
  ASSERT_TRUE(web_pull.status.ok()) << web_pull.status.error_message();
  ASSERT_NE(agent_pull.image_ref, web_pull.image_ref);

  const std::vector<v1::Image> images = ListImages(daemon);
  ASSERT_EQ(images.size(), 2u);
  for (const v1::Image& image : images) {
    EXPECT_EQ(image.pinned(), image.id() == agent_pull.image_ref) << image.id();
  }
  const std::vector<v1::Image> filtered = ListImages(daemon, agent);
  ASSERT_EQ(filtered.size(), 1u);
  EXPECT_TRUE(filtered[0].pinned());
  EXPECT_TRUE(Status(daemon, agent).image().pinned());
  EXPECT_TRUE(Status(daemon, agent_pull.image_ref).image().pinned());  // found by id, pinned by its tag
  EXPECT_FALSE(Status(daemon, web).image().pinned());

  // SIGHUP re-reads the list (as CRI-O's reload): the next calls answer with the new patterns.
  daemon.dir().Write("conf.d/50-pinned.toml", "[image]\npinned_images = [\"*apps/web*\"]\n");
  kill(daemon.pid(), SIGHUP);
  WaitUntil([&] { return daemon.Log().find("SIGHUP: reloaded") != std::string::npos; }, std::chrono::seconds(10));
  ASSERT_THAT(daemon.Log(), HasSubstr("SIGHUP: reloaded"));
  EXPECT_THAT(daemon.Log(), ::testing::Not(HasSubstr("restart cloisond to apply")));
  EXPECT_TRUE(Status(daemon, web).image().pinned());
  EXPECT_FALSE(Status(daemon, agent).image().pinned());

  // Pinning is for kubelet's garbage collection: RemoveImage still removes the image (as CRI-O).
  ASSERT_TRUE(Remove(daemon, agent).ok());
  EXPECT_FALSE(Status(daemon, agent).has_image());
}

TEST(ImageService, RemoveUntagsThenRemovesAndCollectsLayers) {
  auto registry = LocalRegistry::Start();
  ASSERT_NE(registry, nullptr);
  registry->Push("busybox", "library/busybox:1.0");
  registry->Push("busybox", "library/busybox:latest");
  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  const std::string one = registry->host() + "/library/busybox:1.0";
  const std::string latest = registry->host() + "/library/busybox:latest";
  const PullResult a = Pull(daemon, one);
  const PullResult b = Pull(daemon, latest);
  ASSERT_TRUE(a.status.ok() && b.status.ok());
  ASSERT_EQ(a.image_ref, b.image_ref);
  EXPECT_EQ(Status(daemon, a.image_ref).image().repo_tags_size(), 2);

  ASSERT_TRUE(Remove(daemon, one).ok());
  EXPECT_THAT(Status(daemon, a.image_ref).image().repo_tags(), ElementsAre(latest));
  EXPECT_EQ(CountEntries(LayersDir(daemon)), 1u);

  ASSERT_TRUE(Remove(daemon, a.image_ref).ok());
  EXPECT_TRUE(ListImages(daemon).empty());
  EXPECT_EQ(CountEntries(LayersDir(daemon)), 0u);
  EXPECT_EQ(CountEntries((daemon.dir().path() / "root/images/content/blobs/sha256").string()), 0u);
  EXPECT_TRUE(Remove(daemon, a.image_ref).ok());  // idempotent
}

// cloisond remembers the store's usage between ImageFsInfo calls: each pull and removal shows.
TEST(ImageService, ImageFsInfoFollowsPullsAndRemovals) {
  auto registry = LocalRegistry::Start();
  ASSERT_NE(registry, nullptr);
  registry->Push("busybox", "library/busybox:1.0");
  registry->Push("multilayer", "library/multilayer:1.0");
  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  const v1::FilesystemUsage empty = ImageFs(daemon);

  ASSERT_TRUE(Pull(daemon, registry->host() + "/library/busybox:1.0").status.ok());
  const v1::FilesystemUsage busybox = ImageFs(daemon);
  EXPECT_GT(busybox.used_bytes().value(), empty.used_bytes().value() + 500000);
  EXPECT_GT(busybox.inodes_used().value(), empty.inodes_used().value());

  // multilayer shares busybox's layer and adds 2 MiB of incompressible bytes.
  constexpr uint64_t kTwoMiB = 2 * 1024 * 1024;
  ASSERT_TRUE(Pull(daemon, registry->host() + "/library/multilayer:1.0").status.ok());
  const v1::FilesystemUsage both = ImageFs(daemon);
  EXPECT_GT(both.used_bytes().value(), busybox.used_bytes().value() + kTwoMiB);
  EXPECT_GT(both.inodes_used().value(), busybox.inodes_used().value());

  ASSERT_TRUE(Remove(daemon, registry->host() + "/library/multilayer:1.0").ok());
  const v1::FilesystemUsage removed = ImageFs(daemon);
  EXPECT_LT(removed.used_bytes().value(), both.used_bytes().value() - kTwoMiB);
  EXPECT_LT(removed.inodes_used().value(), both.inodes_used().value());
}

TEST(ImageService, BadRequestsNameTheProblem) {
  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  PullResult empty = Pull(daemon, "");
  EXPECT_EQ(empty.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(empty.status.error_message(), HasSubstr("image.image"));
  PullResult bad = Pull(daemon, "Not/A/Valid//Name");
  EXPECT_EQ(bad.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad.status.error_message();
  PullResult missing = Pull(daemon, "127.0.0.1:1/nothing:here");
  EXPECT_EQ(missing.status.error_code(), grpc::StatusCode::UNAVAILABLE) << missing.status.error_message();
}

}  // namespace
}  // namespace cloison::testing
