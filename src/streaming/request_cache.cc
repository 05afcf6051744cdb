#include "cloison/streaming/request_cache.h"

#include <sys/random.h>

#include <cerrno>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "cloison/util/errno_status.h"

namespace cloison::streaming {
namespace {

// 6 random bytes make exactly 8 base64url characters.
absl::StatusOr<std::string> NewToken() {
  char bytes[6];
  size_t filled = 0;
  while (filled < sizeof(bytes)) {
    const ssize_t n = getrandom(bytes + filled, sizeof(bytes) - filled, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return util::SystemCallError("getrandom");
    filled += static_cast<size_t>(n);
  }
  return absl::WebSafeBase64Escape(absl::string_view(bytes, sizeof(bytes)));
}

}  // namespace

void RequestCache::DropExpiredLocked() {
  const auto now = clock_();
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->second.expires <= now ? entries_.erase(it) : std::next(it);
  }
}

absl::StatusOr<std::string> RequestCache::Insert(StreamRequest request) {
  absl::MutexLock lock(&mu_);
  DropExpiredLocked();
  if (entries_.size() >= kMaxInFlight) {
    return absl::ResourceExhaustedError(absl::StrCat("too many streaming requests in flight (", kMaxInFlight, ")"));
  }
  while (true) {
    absl::StatusOr<std::string> token = NewToken();
    if (!token.ok()) return token.status();
    if (entries_.contains(*token)) continue;
    entries_.emplace(*token, Entry{std::move(request), clock_() + kTtl});
    return token;
  }
}

absl::StatusOr<StreamRequest> RequestCache::Consume(const std::string& token) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(token);
  if (it == entries_.end()) return absl::NotFoundError("unknown or already used streaming token");
  Entry entry = std::move(it->second);
  entries_.erase(it);
  if (entry.expires <= clock_()) return absl::NotFoundError("expired streaming token");
  return std::move(entry.request);
}

}  // namespace cloison::streaming
