#include "cloison/util/signal_names.h"

#include <signal.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"

namespace cloison::util {
namespace {

struct NamedSignal {
  const char* name;
  int number;
};

constexpr NamedSignal kSignals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT},   {"ILL", SIGILL},     {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"IOT", SIGIOT},     {"BUS", SIGBUS},     {"FPE", SIGFPE},     {"KILL", SIGKILL},
    {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},   {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},
    {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CLD", SIGCHLD},    {"CONT", SIGCONT},
    {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},   {"URG", SIGURG},
    {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},   {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
    {"IO", SIGIO},     {"POLL", SIGPOLL},   {"PWR", SIGPWR},     {"SYS", SIGSYS},
};

}  // namespace

std::optional<int> ParseSignal(absl::string_view text) {
  int number = 0;
  if (absl::SimpleAtoi(text, &number)) {
    return number > 0 && number < NSIG ? std::optional<int>(number) : std::nullopt;
  }
  std::string name = absl::AsciiStrToUpper(text);
  absl::string_view rest = name;
  absl::ConsumePrefix(&rest, "SIG");
  for (const NamedSignal& signal : kSignals) {
    if (rest == signal.name) return signal.number;
  }
  // Real-time signals: RTMIN, RTMIN+n, RTMAX, RTMAX-n (also the CRI enum's RTMINPLUSn form).
  auto offset = [&](absl::string_view base, int sign) -> std::optional<int> {
    absl::string_view tail = rest;
    if (!absl::ConsumePrefix(&tail, base)) return std::nullopt;
    const int anchor = sign > 0 ? SIGRTMIN : SIGRTMAX;
    if (tail.empty()) return anchor;
    if (!absl::ConsumePrefix(&tail, sign > 0 ? "+" : "-") &&
        !absl::ConsumePrefix(&tail, sign > 0 ? "PLUS" : "MINUS")) {
      return std::nullopt;
    }
    int n = 0;
    if (!absl::SimpleAtoi(tail, &n) || n < 0) return std::nullopt;
    const int value = anchor + sign * n;
    return value >= SIGRTMIN && value <= SIGRTMAX ? std::optional<int>(value) : std::nullopt;
  };
  if (auto rt = offset("RTMIN", 1)) return rt;
  return offset("RTMAX", -1);
}

}  // namespace cloison::util
