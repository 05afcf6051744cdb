#include "cloison/image/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace cloison::image {
namespace {

// Error bodies are kept only to be quoted in messages.
constexpr size_t kMaxErrorBody = 64 << 10;

struct Transfer {
  const BodySink* sink = nullptr;
  HttpResponse* response = nullptr;
  size_t max_success_body = 0;
  absl::Status sink_status;
};

long CurrentStatus(CURL* curl) {
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  return code;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  absl::string_view line(data, size * count);
  // A status line (the first, or a new one after a redirect or 100-continue) starts a new
  // header set and tells OnBody what kind of body follows.
  if (absl::StartsWith(line, "HTTP/")) {
    transfer->response->headers.clear();
    transfer->response->status = StatusCodeOfLine(line);
    return size * count;
  }
  const size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    std::string name = absl::AsciiStrToLower(line.substr(0, colon));
    absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
    transfer->response->headers[name] = std::string(value);
  }
  return size * count;
}

struct CurlHandleDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct CurlListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  HttpResponse& response = *transfer->response;
  if (transfer->sink && *transfer->sink && response.status >= 200 && response.status < 300) {
    transfer->sink_status = (*transfer->sink)(data, bytes);
    return transfer->sink_status.ok() ? bytes : 0;
  }
  const size_t limit =
      (response.status >= 200 && response.status < 300) ? transfer->max_success_body : kMaxErrorBody;
  if (response.body.size() + bytes > limit) {
    transfer->sink_status = absl::ResourceExhaustedError(
        absl::StrCat("response body from ", response.url, " exceeds ", limit, " bytes"));
    return 0;
  }
  response.body.append(data, bytes);
  return bytes;
}

}  // namespace

long StatusCodeOfLine(absl::string_view line) {
  const size_t space = line.find(' ');
  if (space == absl::string_view::npos) return 0;
  const absl::string_view code = line.substr(space + 1, 3);
  const bool three_digits = code.size() == 3 && std::all_of(code.begin(), code.end(), absl::ascii_isdigit) &&
                            (line.size() == space + 4 || !absl::ascii_isdigit(line[space + 4]));
  return three_digits ? (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0') : 0;
}

absl::StatusOr<HttpResponse> PerformHttp(const HttpRequest& request, const BodySink& sink) {
  InitCurlOnce();
  std::unique_ptr<CURL, CurlHandleDeleter> curl(curl_easy_init());
  if (!curl) return absl::InternalError("curl_easy_init failed");
  HttpResponse response;
  response.url = request.url;
  Transfer transfer{&sink, &response, request.max_body, absl::OkStatus()};

  curl_slist* raw_headers = nullptr;
  for (const std::string& header : request.headers) raw_headers = curl_slist_append(raw_headers, header.c_str());
  std::unique_ptr<curl_slist, CurlListDeleter> headers(raw_headers);

  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "cloison");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(request.timeout_seconds));
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(request.timeout_seconds));
  if (!request.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, request.ca_file.c_str());
  if (request.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  } else if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  }
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  const CURLcode code = curl_easy_perform(h);
  response.status = CurrentStatus(h);
  char* effective_url = nullptr;
  if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &effective_url) == CURLE_OK && effective_url) {
    response.url = effective_url;
  }
  if (!transfer.sink_status.ok()) return transfer.sink_status;
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return absl::DeadlineExceededError(absl::StrCat(request.method, " ", request.url, ": ", curl_easy_strerror(code)));
  }
  if (code != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat(request.method, " ", request.url, ": ", curl_easy_strerror(code)));
  }
  return response;
}

}  // namespace cloison::image
