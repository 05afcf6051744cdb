// Crash and race exploration of the image service against a real docker-registry on loopback:
// each round has three threads make random image calls (PullImage of images that share layers
// and of one image under several names, RemoveImage by tag and by id, ImageStatus, ListImages,
// ImageFsInfo, CreateContainer and RemoveContainer, which hold and release images), some pulls
// going through a loopback proxy that fails on demand (refuses connections, cuts, stalls or
// slows down a response half way, flips a byte of it: a blob whose content does not match its
// digest); in
// some rounds the registry restarts mid-round and cloisond is SIGKILLed at a random moment (and
// sometimes again while it recovers), then restarted. After each round: cloisond answers, every
// listed image answers ImageStatus and a container can be created from it (its layers are all
// unpacked), no container's image is gone, nothing is left half-written; after removing every
// container and image, <root>/images holds no blob, layer or record and ImageFsInfo measures
// just its empty directories; no mount is left.
// Rounds come from a fixed seed list; CLOISON_IMAGE_CHAOS_SEEDS=<n>,<n>... replays others.
// After it, the deterministic regression tests of what the rounds found.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "chaos_rounds.h"
#include "pod_fixture.h"

namespace cloison::testing {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kCommittedSeeds[] = {1, 2, 3, 5, 6, 10, 14, 17, 24, 31, 43, 51};

std::vector<uint32_t> Seeds() { return ChaosSeeds("CLOISON_IMAGE_CHAOS_SEEDS", kCommittedSeeds); }

// What ImageFsInfo should report for `dir`: the blocks and inodes of everything under it
// (itself excluded, hard links once), walked here independently of cloisond.
std::pair<uint64_t, uint64_t> UsageOf(const fs::path& dir) {
  uint64_t bytes = 0, inodes = 0;
  std::set<std::pair<dev_t, ino_t>> seen;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat st {};
    if (lstat(it->path().c_str(), &st) != 0 || !seen.insert({st.st_dev, st.st_ino}).second) continue;
    bytes += static_cast<uint64_t>(st.st_blocks) * 512;
    ++inodes;
  }
  return {bytes, inodes};
}

// A TCP proxy on 127.0.0.1:`port` in front of 127.0.0.1:`upstream_port` that fails on demand,
// each connection as the fault set when it was accepted: kDown closes it at once (a registry
// that is down), kCut closes it after some bytes of the answer, kStall stops forwarding the
// answer there for longer than cloisond's timeout, kFlip inverts the answer's byte there (a blob
// that does not match its digest), kTrickle forwards the rest of the answer slowly (16 KiB every
// 100 ms: a big download in progress). "Some bytes": a random count in [`min_at`, `max_at`], per
// connection.
class FaultyProxy {
 public:
  enum class Fault { kNone, kDown, kCut, kStall, kFlip, kTrickle };

  FaultyProxy(int port, int upstream_port) : upstream_port_(upstream_port) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    const sockaddr_in addr = Loopback(port);
    listening_ = bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0 &&
                 listen(listen_fd_, 64) == 0;
    if (listening_) acceptor_ = std::jthread([this] { AcceptLoop(); });
  }
  ~FaultyProxy() {
    stop_ = true;
    shutdown(listen_fd_, SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    // Each relay sees stop_ within its poll period.
    while (relays_running_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    close(listen_fd_);
  }
  FaultyProxy(const FaultyProxy&) = delete;
  FaultyProxy& operator=(const FaultyProxy&) = delete;

  bool listening() const { return listening_; }
  void Set(Fault fault, size_t min_at, size_t max_at) {
    std::lock_guard lock(mu_);
    fault_ = fault;
    min_at_ = min_at;
    max_at_ = std::max(min_at, max_at);
  }
  // How many answers it has stalled, or started to trickle, so far.
  int stalled() const { return stalled_; }

 private:
  static sockaddr_in Loopback(int port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    return addr;
  }

  void AcceptLoop() {
    while (!stop_) {
      pollfd pfd{listen_fd_, POLLIN, 0};
      if (poll(&pfd, 1, 100) <= 0) continue;
      const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      std::lock_guard lock(mu_);
      const size_t at = min_at_ + random_() % (max_at_ - min_at_ + 1);
      const Fault fault = fault_;
      ++relays_running_;
      std::thread([this, client, fault, at] {
        Relay(client, fault, at);
        --relays_running_;
      }).detach();
    }
  }

  // Sends all of `data` to `fd`; false when the peer is gone.
  static bool SendAll(int fd, const char* data, size_t size) {
    while (size > 0) {
      const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
      if (n <= 0) return false;
      data += n;
      size -= static_cast<size_t>(n);
    }
    return true;
  }

  void Relay(int client, Fault fault, size_t at) {
    const int upstream = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in addr = Loopback(upstream_port_);
    if (fault != Fault::kDown &&
        connect(upstream, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) {
      Pump(client, upstream, fault, at);
    }
    close(upstream);
    close(client);
  }

  void Pump(int client, int upstream, Fault fault, size_t at) {
    size_t answered = 0;  // bytes of the answer forwarded so far
    char buf[16384];
    while (!stop_) {
      pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
      if (poll(fds, 2, 100) <= 0) continue;
      if (fds[0].revents != 0) {
        const ssize_t n = recv(client, buf, sizeof(buf), 0);
        if (n <= 0 || !SendAll(upstream, buf, static_cast<size_t>(n))) return;
      }
      if (fds[1].revents == 0) continue;
      const bool trickling = fault == Fault::kTrickle && answered >= at;
      if (trickling) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const ssize_t n = recv(upstream, buf, trickling ? kTrickleBytes : sizeof(buf), 0);
      if (n <= 0) return;
      size_t size = static_cast<size_t>(n);
      const bool reaches = answered + size > at;
      if (reaches && fault == Fault::kFlip) buf[at - answered] = static_cast<char>(~buf[at - answered]);
      if (reaches && (fault == Fault::kCut || fault == Fault::kStall)) size = at - answered;
      if (!SendAll(client, buf, size)) return;
      answered += size;
      if (reaches && fault == Fault::kCut) return;
      if (reaches && fault == Fault::kTrickle && answered - size <= at) ++stalled_;
      if (reaches && fault == Fault::kStall) {
        ++stalled_;
        // Longer than the registry timeout cloisond has for this proxy (kProxyTimeoutSeconds).
        for (int i = 0; i < 40 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        return;
      }
      if (reaches && fault == Fault::kFlip) fault = Fault::kNone;  // flipped once
    }
  }

  static constexpr size_t kTrickleBytes = 16 << 10;

  const int upstream_port_;
  int listen_fd_ = -1;
  bool listening_ = false;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  Fault fault_ = Fault::kNone;
  size_t min_at_ = 0;
  size_t max_at_ = 0;
  std::atomic<int> stalled_{0};
  std::mt19937 random_{12345};
  std::atomic<int> relays_running_{0};
  std::jthread acceptor_;
};

constexpr int kProxyTimeoutSeconds = 2;
// The longest a racing image call but a pull may take (generous: 2 cores shared with other work).
constexpr std::chrono::seconds kPromptAnswer{5};

// The proxy's port, chosen before cloisond's configuration (which gives it a short timeout) is
// written.
int ProxyPort() {
  static const int port = registry_internal::FreePort();
  return port;
}

std::string ChaosConfig(const TempDir&) {
  return "[registries.\"127.0.0.1:" + std::to_string(ProxyPort()) + "\"]\ntimeout = " +
         std::to_string(kProxyTimeoutSeconds) + "\n";
}

// The hex of the busybox fixture's one layer.
std::string BusyboxLayerHex() {
  const std::string layout = LocalRegistry::FixtureLayout("busybox");
  const nlohmann::json index = nlohmann::json::parse(ReadText(layout + "/index.json"));
  const std::string manifest_digest = index["manifests"][0]["digest"];
  const nlohmann::json manifest = nlohmann::json::parse(ReadText(layout + "/blobs/sha256/" + manifest_digest.substr(7)));
  return manifest["layers"][0]["digest"].get<std::string>().substr(7);
}

// Fixture layouts pushed under each repository: busybox twice (two names for one image),
// multilayer and multiarch (sharing busybox's layer), zstd (busybox's config, so busybox's
// image id, over a zstd layer).
const std::vector<std::pair<std::string, std::string>>& Pushed() {
  static const std::vector<std::pair<std::string, std::string>> pushed = {
      {"busybox", "library/busybox:1.0"}, {"busybox", "library/bb2:1.0"}, {"multilayer", "library/multi:1.0"},
      {"multiarch", "library/arch:1.0"},  {"zstd", "library/zstd:1.0"}};
  return pushed;
}

class ImageChaos : public PodFixture {
 protected:
  ImageChaos() : PodFixture(ChaosConfig) {}

  void SetUp() override {
    PodFixture::SetUp();
    if (HasFatalFailure()) return;
    std::vector<std::string> by_digest;
    for (const auto& [fixture, name] : Pushed()) {
      const std::string digest = registry_->Push(fixture, name);
      ASSERT_FALSE(digest.empty());
      if (fixture == "multilayer" || fixture == "multiarch") {
        by_digest.push_back(Direct(name.substr(0, name.find(':')) + "@" + digest));
      }
    }
    proxy_ = std::make_unique<FaultyProxy>(ProxyPort(), registry_->port());
    ASSERT_TRUE(proxy_->listening()) << "port " << ProxyPort();
    for (const auto& [fixture, name] : Pushed()) {
      references_.push_back(Direct(name));
      references_.push_back(Proxied(name));
    }
    references_.insert(references_.end(), by_digest.begin(), by_digest.end());
  }

  void TearDown() override {
    proxy_.reset();
    PodFixture::TearDown();
  }

  fs::path ImagesDir() const { return daemon_.dir().path() / "root/images"; }
  // Image `name` ("library/busybox:1.0") of the registry, directly or through the proxy.
  std::string Direct(const std::string& name) const { return registry_->host() + "/" + name; }
  std::string Proxied(const std::string& name) const {
    return "127.0.0.1:" + std::to_string(ProxyPort()) + "/" + name;
  }

  // The round's pod: the one of the previous round while it is ready, a new one otherwise.
  void EnsurePod() {
    if (!pod_.id.empty()) {
      v1::PodSandboxStatusResponse status;
      if (client_->PodStatus(pod_.id, &status).ok() && status.status().state() == v1::SANDBOX_READY) return;
      (void)client_->StopPod(pod_.id);
      (void)client_->RemovePod(pod_.id);
    }
    pod_ = RunPod("image-chaos-" + std::to_string(round_));
  }

  std::vector<v1::Image> ListImages(v1::ImageService::Stub& images, grpc::Status* status) {
    grpc::ClientContext context;
    v1::ListImagesResponse response;
    *status = images.ListImages(&context, v1::ListImagesRequest(), &response);
    return {response.images().begin(), response.images().end()};
  }

  grpc::Status ImageStatus(v1::ImageService::Stub& images, const std::string& image, v1::ImageStatusResponse* response) {
    grpc::ClientContext context;
    v1::ImageStatusRequest request;
    request.mutable_image()->set_image(image);
    return images.ImageStatus(&context, request, response);
  }

  grpc::Status FsInfo(v1::ImageService::Stub& images, v1::ImageFsInfoResponse* response) {
    grpc::ClientContext context;
    return images.ImageFsInfo(&context, v1::ImageFsInfoRequest(), response);
  }

  // Creates (never starts) a container of `image` in the round's pod; it joins containers_.
  grpc::Status CreateContainer(const std::string& image) {
    std::string name;
    {
      std::lock_guard lock(known_mu_);
      name = "c" + std::to_string(++container_seq_);
    }
    std::string id;
    const grpc::Status status = client_->Create(pod_.id, ContainerConfig(name, image, {"sleep", "1000"}), pod_.config, &id);
    if (status.ok()) {
      std::lock_guard lock(known_mu_);
      containers_.push_back(id);
    }
    return status;
  }

  // One random call of a racing thread; the call's name and status.
  std::pair<std::string, grpc::Status> RandomCall(v1::ImageService::Stub& images, std::mt19937& random) {
    const std::string& reference = references_[random() % references_.size()];
    switch (random() % 11) {
      case 0:
      case 1:
      case 2:
        return {"PullImage " + reference, client_->Pull(reference)};
      case 3:
        return {"RemoveImage " + reference, client_->RemoveImage(reference)};
      case 4: {
        grpc::Status listed;
        const std::vector<v1::Image> all = ListImages(images, &listed);
        if (!listed.ok() || all.empty()) return {"ListImages", listed};
        const std::string id = all[random() % all.size()].id();
        return {"RemoveImage " + id, client_->RemoveImage(random() % 2 == 0 ? id : id.substr(7))};
      }
      case 5: {
        v1::ImageStatusResponse response;
        return {"ImageStatus " + reference, ImageStatus(images, reference, &response)};
      }
      case 6: {
        v1::ImageFsInfoResponse response;
        return {"ImageFsInfo", FsInfo(images, &response)};
      }
      case 7:
      case 8:
        return {"CreateContainer " + reference, CreateContainer(reference)};
      case 9: {
        grpc::Status listed;
        const std::vector<v1::Image> all = ListImages(images, &listed);
        if (!listed.ok() || all.empty()) return {"ListImages", listed};
        const std::string id = all[random() % all.size()].id();
        return {"CreateContainer " + id, CreateContainer(id)};
      }
      default: {
        std::string id;
        {
          std::lock_guard lock(known_mu_);
          if (containers_.empty()) return {"ListImages", grpc::Status::OK};
          id = containers_[random() % containers_.size()];
        }
        return {"RemoveContainer " + id, client_->Remove(id)};
      }
    }
  }

  // Whether a racing call's answer is one the CRI allows. A pull may fail when its registry
  // misbehaves (`faulty`: the proxy fails or the registry restarts), with the errors of a
  // registry that is down, slow or serving corrupt content; an image may vanish under
  // CreateContainer (RemoveContainer always succeeds), and RemoveImage refuses an image a
  // container holds.
  static bool AllowedAnswer(const std::string& call, const grpc::Status& status, bool faulty) {
    const grpc::StatusCode code = status.error_code();
    if (code == grpc::StatusCode::OK) return true;
    if (call.rfind("PullImage", 0) == 0) {
      return faulty && (code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED ||
                        code == grpc::StatusCode::DATA_LOSS || code == grpc::StatusCode::NOT_FOUND ||
                        code == grpc::StatusCode::INVALID_ARGUMENT);
    }
    if (call.rfind("CreateContainer", 0) == 0) return code == grpc::StatusCode::NOT_FOUND;
    if (call.rfind("RemoveImage", 0) == 0) return code == grpc::StatusCode::FAILED_PRECONDITION;
    return false;
  }

  // The racing threads' calls, a registry restart at `restart_after` and a SIGKILL of cloisond
  // at `crash_after` (none when negative), then its restart.
  void RaceAndCrash(uint32_t seed, bool proxy_faulty, std::chrono::milliseconds restart_after,
                    std::chrono::milliseconds crash_after) {
    std::atomic<bool> killing{false};
    std::mutex failures_mu;
    std::vector<std::string> failures;
    const std::unique_ptr<v1::ImageService::Stub> images = daemon_.Images();
    {
      std::vector<std::jthread> threads;
      for (uint32_t t = 0; t < 3; ++t) {
        threads.emplace_back([&, t] {
          std::mt19937 random(seed * 31 + t);
          for (int call = 0; call < 8 && !killing; ++call) {
            const auto call_started = std::chrono::steady_clock::now();
            auto [name, status] = RandomCall(*images, random);
            const auto took = std::chrono::steady_clock::now() - call_started;
            {
              std::lock_guard lock(failures_mu);
              calls_.push_back(name + " -> " + std::to_string(status.error_code()) + " " + status.error_message());
            }
            if (killing) return;
            const bool faulty =
                restart_after.count() >= 0 || (proxy_faulty && name.find(Proxied("")) != std::string::npos);
            if (!AllowedAnswer(name, status, faulty)) {
              std::lock_guard lock(failures_mu);
              failures.push_back(name + ": " + std::to_string(status.error_code()) + " " + status.error_message());
            }
            // Of the image calls only a pull waits for a registry (a trickling download takes
            // many seconds).
            const bool image_call = name.rfind("RemoveImage", 0) == 0 || name.rfind("ImageStatus", 0) == 0 ||
                                    name.rfind("ImageFsInfo", 0) == 0 || name.rfind("ListImages", 0) == 0;
            if (image_call && took > kPromptAnswer) {
              std::lock_guard lock(failures_mu);
              const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
              failures.push_back(name + " took " + std::to_string(ms) + " ms");
            }
          }
        });
      }
      auto started = std::chrono::steady_clock::now();
      auto wait_until = [&](std::chrono::milliseconds at) { std::this_thread::sleep_until(started + at); };
      std::vector<std::pair<std::chrono::milliseconds, bool>> events;  // when, is the crash
      if (restart_after.count() >= 0) events.emplace_back(restart_after, false);
      if (crash_after.count() >= 0) events.emplace_back(crash_after, true);
      std::sort(events.begin(), events.end());
      for (const auto& [at, crash] : events) {
        wait_until(at);
        if (!crash) {
          std::string error;
          EXPECT_TRUE(registry_->Restart(&error)) << error;
          {
            std::lock_guard lock(failures_mu);
            calls_.push_back("-- registry restarted --");
          }
          continue;
        }
        ASSERT_FALSE(daemon_.Exited(std::chrono::milliseconds(0)).exited) << "cloisond died by itself\n" << daemon_.Log();
        killing = true;
        {
          std::lock_guard lock(failures_mu);
          std::cout << "  SIGKILL after " << calls_.size() << " racing calls" << std::endl;
          calls_.push_back("-- SIGKILL --");
        }
        crashed_log_ = daemon_.Log();
        kill(daemon_.pid(), SIGKILL);
        ASSERT_TRUE(daemon_.Exited(std::chrono::seconds(5)).exited);
      }
    }
    EXPECT_THAT(failures, ::testing::IsEmpty());
    proxy_->Set(FaultyProxy::Fault::kNone, 0, 0);
    if (crash_after.count() >= 0) {
      std::mt19937 random(seed * 17);
      if (random() % 3 == 0) CrashDuringRecovery(daemon_, std::chrono::milliseconds(random() % 150));
      RestartDaemon();
    } else {
      ASSERT_FALSE(daemon_.Exited(std::chrono::milliseconds(0)).exited) << "cloisond died by itself\n" << daemon_.Log();
    }
  }

  // The layer digests of image `id`'s record on disk.
  std::vector<std::string> RecordedLayers(const std::string& id) const {
    const nlohmann::json record =
        nlohmann::json::parse(ReadText((ImagesDir() / "records" / (id.substr(7) + ".json")).string()), nullptr, false);
    std::vector<std::string> layers;
    if (!record.is_object() || !record.contains("layers")) return {"<no readable record>"};
    for (const nlohmann::json& layer : record["layers"]) layers.push_back(layer.value("digest", std::string("?")));
    return layers;
  }

  // No temporary file of a write in progress, nor the half of an unpack or a removal.
  void ExpectNoTemporaries() {
    EXPECT_THAT(EntriesOf(ImagesDir() / "content/ingest"), ::testing::IsEmpty());
    for (const std::string& name : EntriesOf(ImagesDir() / "layers")) {
      EXPECT_EQ(name.rfind(".tmp-", 0), std::string::npos) << "layers/" << name;
    }
    for (const std::string& name : EntriesOf(ImagesDir() / "records")) {
      EXPECT_TRUE(name.size() > 5 && name.substr(name.size() - 5) == ".json") << "records/" << name;
    }
  }

  // The invariants after a round (see the top of the file), checked while removing every
  // container and image.
  void CheckInvariantsAndClear() {
    const std::unique_ptr<v1::ImageService::Stub> images = daemon_.Images();
    grpc::Status listed;
    const std::vector<v1::Image> all = ListImages(*images, &listed);
    ASSERT_TRUE(listed.ok()) << listed.error_message();
    std::set<std::string> ids;
    ExpectNoTemporaries();
    EnsurePod();
    for (const v1::Image& image : all) {
      SCOPED_TRACE("image " + image.id());
      ids.insert(image.id());
      v1::ImageStatusResponse status;
      ASSERT_TRUE(ImageStatus(*images, image.id(), &status).ok());
      EXPECT_EQ(status.image().id(), image.id());
      for (const std::string& layer : RecordedLayers(image.id())) {
        EXPECT_TRUE(fs::is_directory(ImagesDir() / "layers" / layer.substr(layer.find(':') + 1))) << "layer " << layer;
      }
      std::string id;
      const grpc::Status created =
          client_->Create(pod_.id, ContainerConfig("check-" + image.id().substr(7, 12), image.id(), {"true"}), pod_.config, &id);
      EXPECT_TRUE(created.ok()) << created.error_message();
      if (created.ok()) {
        EXPECT_TRUE(client_->Remove(id).ok());
      }
    }
    for (const v1::Container& container : client_->List()) {
      EXPECT_TRUE(ids.contains(container.image_id()))
          << "container " << container.id() << " holds image " << container.image_id() << ", which is gone";
      const grpc::Status removed = client_->Remove(container.id());
      EXPECT_TRUE(removed.ok()) << container.id() << ": " << removed.error_message();
    }
    for (const std::string& id : ids) {
      const grpc::Status removed = client_->RemoveImage(id);
      EXPECT_TRUE(removed.ok()) << id << ": " << removed.error_message();
    }
    EXPECT_THAT(ListImages(*images, &listed), ::testing::IsEmpty());
    for (const char* emptied : {"content/blobs/sha256", "content/ingest", "layers", "records"}) {
      EXPECT_THAT(EntriesOf(ImagesDir() / emptied), ::testing::IsEmpty()) << emptied;
    }
    v1::ImageFsInfoResponse fs_info;
    ASSERT_TRUE(FsInfo(*images, &fs_info).ok());
    ASSERT_EQ(fs_info.image_filesystems_size(), 1);
    const auto [bytes, inodes] = UsageOf(ImagesDir());
    EXPECT_EQ(fs_info.image_filesystems(0).used_bytes().value(), bytes);
    EXPECT_EQ(fs_info.image_filesystems(0).inodes_used().value(), inodes);
    EXPECT_THAT(MountsUnder((daemon_.dir().path() / "root/storage").string()), ::testing::IsEmpty());
    containers_.clear();
  }

  std::unique_ptr<FaultyProxy> proxy_;
  // Every image by tag, directly and through the proxy (in Pushed()'s order), then two by digest.
  std::vector<std::string> references_;
  TestPod pod_;
  std::vector<std::string> calls_;  // the round's racing calls and their answers, in order
  std::string crashed_log_;         // cloisond's log up to the round's crash
  std::mutex known_mu_;
  std::vector<std::string> containers_;  // every container made this round, removed or not
  int container_seq_ = 0;
  int round_ = 0;
};

TEST_F(ImageChaos, RacingCallsFaultsAndCrashesLeaveImagesWholeAndNothingBehind) {
  for (const uint32_t seed : Seeds()) {
    ++round_;
    std::cout << "image chaos round " << round_ << ": seed " << seed << std::endl;
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 random(seed);
    EnsurePod();
    ASSERT_FALSE(pod_.id.empty());
    const auto fault = static_cast<FaultyProxy::Fault>(random() % 6);
    proxy_->Set(fault, 0, 2'500'000);
    const int restart_after_ms = random() % 5 == 0 ? static_cast<int>(random() % 600) : -1;
    const int crash_after_ms = random() % 3 == 0 ? -1 : static_cast<int>(random() % 800);
    std::cout << "  proxy fault " << static_cast<int>(fault) << ", registry restart at " << restart_after_ms
              << " ms, SIGKILL at " << crash_after_ms << " ms" << std::endl;
    calls_.clear();
    crashed_log_.clear();
    RaceAndCrash(seed, fault != FaultyProxy::Fault::kNone, std::chrono::milliseconds(restart_after_ms),
                 std::chrono::milliseconds(crash_after_ms));
    if (HasFatalFailure()) return;
    CheckInvariantsAndClear();
    if (HasFailure()) {
      std::cout << "seed " << seed << " failed; the racing calls:\n";
      for (const std::string& call : calls_) std::cout << "  " << call << "\n";
      std::cout << "cloisond's log before the crash:\n" << crashed_log_ << "\nand since:\n" << daemon_.Log() << std::endl;
      return;
    }
  }
}

// Two pulls of one image from two registries: the pull through the proxy stalls in the layer's
// download and fails (timeout); the direct pull, which needs that layer meanwhile, still
// succeeds. (It used to share the stalled download and fail with its error: a blob's single
// flight carried the first pull's registry, mirrors and credentials to every other pull.)
TEST_F(ImageChaos, PullSharingAFailingDownloadFromAnotherRegistryStillSucceeds) {
  proxy_->Set(FaultyProxy::Fault::kStall, 100'000, 100'000);  // past the manifest and config answers
  const std::string through_proxy = Proxied("library/busybox:1.0");
  const std::string direct = Direct("library/busybox:1.0");
  ASSERT_TRUE(client_->RemoveImage(direct).ok());  // SetUp pulled it
  grpc::Status proxied;
  std::jthread stalled_pull([&] { proxied = client_->Pull(through_proxy); });
  ASSERT_TRUE(WaitUntil([&] { return proxy_->stalled() > 0; }, std::chrono::seconds(10)));
  const grpc::Status pulled = client_->Pull(direct);
  EXPECT_TRUE(pulled.ok()) << pulled.error_message();
  stalled_pull.join();
  EXPECT_FALSE(proxied.ok()) << "the stalled pull succeeded";
}

// A long pull (its layer trickling in through the proxy) does not hold up RemoveImage of
// another image, nor a pull of an image that is present. (Garbage collection used to wait for
// every pull under way, and the pulls issued after it for the collection: one slow download
// froze every RemoveImage and PullImage until it ended.)
TEST_F(ImageChaos, RemoveAndPullDoNotWaitForASlowPull) {
  const std::string busybox = Direct("library/busybox:1.0");
  const std::string multi = Direct("library/multi:1.0");
  const std::string zstd_through_proxy = Proxied("library/zstd:1.0");
  ASSERT_TRUE(client_->Pull(multi).ok());
  proxy_->Set(FaultyProxy::Fault::kTrickle, 100'000, 100'000);  // past the manifest and config answers
  grpc::Status slow;
  std::jthread slow_pull([&] { slow = client_->Pull(zstd_through_proxy); });
  ASSERT_TRUE(WaitUntil([&] { return proxy_->stalled() > 0; }, std::chrono::seconds(10)));
  const auto started = std::chrono::steady_clock::now();
  const grpc::Status removed = client_->RemoveImage(multi);
  const auto removed_after = std::chrono::steady_clock::now() - started;
  const grpc::Status pulled = client_->Pull(busybox);
  const auto pulled_after = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(removed.ok()) << removed.error_message();
  EXPECT_TRUE(pulled.ok()) << pulled.error_message();
  EXPECT_LT(removed_after, std::chrono::seconds(2));
  EXPECT_LT(pulled_after, std::chrono::seconds(2));
  EXPECT_GT(proxy_->stalled(), 0);
  slow_pull.join();
  EXPECT_TRUE(slow.ok()) << slow.error_message();
  // Gone: the layers multi alone used, and the slow pull's zstd layer, which its image does not
  // use (it has busybox's config, so busybox's id, and stays recorded with busybox's layer).
  EXPECT_THAT(EntriesOf(ImagesDir() / "layers"), ::testing::ElementsAre(BusyboxLayerHex()));
}

// A pull that fails part way (multi's big layer cut off: the manifest, the config and its other
// layers are in by then) keeps none of what it fetched: no blob, no layer, and ImageFsInfo
// measures the empty store. (What it fetched used to stay until a RemoveImage or a restart
// collected garbage.)
TEST_F(ImageChaos, FailedPullKeepsNothingItFetched) {
  ASSERT_TRUE(client_->RemoveImage(Direct("library/busybox:1.0")).ok());  // SetUp pulled it
  proxy_->Set(FaultyProxy::Fault::kCut, 1'500'000, 1'500'000);          // inside the 2 MiB layer only
  const grpc::Status pulled = client_->Pull(Proxied("library/multi:1.0"));
  EXPECT_EQ(pulled.error_code(), grpc::StatusCode::UNAVAILABLE) << pulled.error_message();
  for (const char* emptied : {"content/blobs/sha256", "content/ingest", "layers", "records"}) {
    EXPECT_THAT(EntriesOf(ImagesDir() / emptied), ::testing::IsEmpty()) << emptied;
  }
  const std::unique_ptr<v1::ImageService::Stub> images = daemon_.Images();
  v1::ImageFsInfoResponse fs_info;
  ASSERT_TRUE(FsInfo(*images, &fs_info).ok());
  ASSERT_EQ(fs_info.image_filesystems_size(), 1);
  EXPECT_EQ(fs_info.image_filesystems(0).used_bytes().value(), UsageOf(ImagesDir()).first);
}

}  // namespace
}  // namespace cloison::testing
