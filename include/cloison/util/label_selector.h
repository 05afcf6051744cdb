// CRI list filters select by labels with plain equality: every key/value of the selector must
// be present in the object's labels.
#pragma once

#include <string>

#include "google/protobuf/map.h"

namespace cloison::util {

inline bool MatchesLabels(const google::protobuf::Map<std::string, std::string>& labels,
                          const google::protobuf::Map<std::string, std::string>& selector) {
  for (const auto& [key, value] : selector) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

}  // namespace cloison::util
