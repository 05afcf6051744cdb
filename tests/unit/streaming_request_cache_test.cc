// The streaming server's one-time tokens: format, single use, expiry, bound.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cloison/streaming/exit_status.h"
#include "cloison/streaming/request_cache.h"
#include "nlohmann/json.hpp"

namespace cloison::streaming {
namespace {

TEST(StreamingTokens, EightUrlSafeCharactersUsedOnce) {
  RequestCache cache;
  absl::StatusOr<std::string> token = cache.Insert(ExecRequest{"abc", {"ls"}, false, false, true, false});
  ASSERT_TRUE(token.ok());
  EXPECT_THAT(*token, ::testing::MatchesRegex("[A-Za-z0-9_-]{8}"));
  absl::StatusOr<StreamRequest> request = cache.Consume(*token);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(std::get<ExecRequest>(*request).container_id, "abc");
  EXPECT_EQ(cache.Consume(*token).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(cache.Consume("nonsense").status().code(), absl::StatusCode::kNotFound);
}

TEST(StreamingTokens, ExpireAfterOneMinuteAndAreBounded) {
  auto now = std::chrono::steady_clock::now();
  RequestCache cache([&] { return now; });
  absl::StatusOr<std::string> token = cache.Insert(PortForwardRequest{"pod", {}});
  ASSERT_TRUE(token.ok());
  now += std::chrono::seconds(61);
  EXPECT_EQ(cache.Consume(*token).status().code(), absl::StatusCode::kNotFound);

  for (size_t i = 0; i < RequestCache::kMaxInFlight; ++i) ASSERT_TRUE(cache.Insert(PortForwardRequest{"pod", {}}).ok());
  EXPECT_EQ(cache.Insert(PortForwardRequest{"pod", {}}).status().code(), absl::StatusCode::kResourceExhausted);
  now += std::chrono::seconds(61);  // the expired ones make room
  EXPECT_TRUE(cache.Insert(PortForwardRequest{"pod", {}}).ok());
}

TEST(StreamingTokens, ExitStatusJson) {
  EXPECT_EQ(nlohmann::json::parse(StatusJson(0))["status"], "Success");
  const nlohmann::json failed = nlohmann::json::parse(StatusJson(3));
  EXPECT_EQ(failed["status"], "Failure");
  EXPECT_EQ(failed["reason"], "NonZeroExitCode");
  EXPECT_EQ(failed["details"]["causes"][0]["reason"], "ExitCode");
  EXPECT_EQ(failed["details"]["causes"][0]["message"], "3");
  EXPECT_EQ(nlohmann::json::parse(StatusJson(absl::InternalError("boom")))["message"], "boom");
  EXPECT_EQ(StatusText(0), "");
}

}  // namespace
}  // namespace cloison::streaming
