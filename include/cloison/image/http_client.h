// One HTTP exchange over libcurl, as the registry client needs it: custom headers, optional
// extra CA file, connect/stall timeouts, redirects, and a body either captured (bounded) or
// streamed to a sink. Transport failures are UNAVAILABLE (DEADLINE_EXCEEDED on a timeout);
// HTTP error statuses are returned as responses for the caller to interpret.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::image {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent for POST
  std::string ca_file;               // extra trusted CAs (PEM); empty: system store only
  int timeout_seconds = 30;          // to connect, and the longest stall mid-transfer
  size_t max_body = 1 << 20;         // longest 2xx body captured when there is no sink
  bool follow_redirects = true;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; last value wins
  std::string body;                            // captured unless a sink consumed it
  std::string url;                             // after redirects
};

// Receives body bytes of a 2xx response; returning a non-OK status aborts the transfer
// and becomes the result of Perform.
using BodySink = std::function<absl::Status(const char* data, size_t size)>;

// The status code of an HTTP status line ("HTTP/1.1 200 OK\r\n", "HTTP/2 404"): the three
// digits after the first space; 0 when they are not there.
long StatusCodeOfLine(absl::string_view line);

// Performs `request`. With `sink`, a 2xx body goes to it; without, it is captured up to
// `request.max_body` bytes, RESOURCE_EXHAUSTED naming the URL beyond. Other bodies are captured
// (up to 64 KiB) so error messages can quote them.
absl::StatusOr<HttpResponse> PerformHttp(const HttpRequest& request, const BodySink& sink = nullptr);

}  // namespace cloison::image
