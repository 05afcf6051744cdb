#include "cloison/util/logging.h"

#include <string>

#include "spdlog/sinks/stdout_sinks.h"

namespace cloison::util {

void SetupLogging(std::string_view level) {
  auto logger = spdlog::stderr_logger_mt("cloisond");
  // journald adds its own timestamp; the pattern stays useful when run by hand too.
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  spdlog::set_default_logger(logger);
  SetLogLevel(level);
}

void SetLogLevel(std::string_view level) {
  spdlog::set_level(spdlog::level::from_str(std::string(level)));
}

}  // namespace cloison::util
