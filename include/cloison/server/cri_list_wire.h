// The ListContainers and ListPodSandbox answers as wire bytes (a serialized
// ListContainersResponse / ListPodSandboxResponse) built from a WireListCache: the records
// `for_each` visits that match the filter (cri_views.h's MatchesFilter), in the visiting
// order, each rendered as cri_views.h's FillContainer / FillPodSandbox renders it. Parsed,
// the bytes equal the answer built as a message from the same records.
#pragma once

#include <string>

#include "absl/functional/function_ref.h"
#include "cloison/container/container_record.h"
#include "cloison/cri/api.h"
#include "cloison/sandbox/sandbox_record.h"
#include "cloison/server/wire_list_cache.h"

namespace cloison::server {

using ContainerVisitor = absl::FunctionRef<void(const container::ContainerRecord&)>;
using SandboxVisitor = absl::FunctionRef<void(const sandbox::SandboxRecord&)>;

std::string ListContainersWire(WireListCache& cache, const ::runtime::v1::ContainerFilter& filter,
                               absl::FunctionRef<void(ContainerVisitor)> for_each);
std::string ListPodSandboxWire(WireListCache& cache, const ::runtime::v1::PodSandboxFilter& filter,
                               absl::FunctionRef<void(SandboxVisitor)> for_each);

}  // namespace cloison::server
