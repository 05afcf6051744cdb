// Renders manager records as CRI messages (PodSandbox, PodSandboxStatus, Container,
// ContainerStatus) and applies the CRI list filters to them.
#pragma once

#include "cloison/container/container_record.h"
#include "cloison/cri/api.h"
#include "cloison/sandbox/sandbox_record.h"

namespace cloison::server {

void FillPodSandbox(const sandbox::SandboxRecord& record, ::runtime::v1::PodSandbox& out);
void FillPodSandboxStatus(const sandbox::SandboxRecord& record, ::runtime::v1::PodSandboxStatus& out);
bool MatchesFilter(const sandbox::SandboxRecord& record, const ::runtime::v1::PodSandboxFilter& filter);

void FillContainer(const container::ContainerRecord& record, ::runtime::v1::Container& out);
void FillContainerStatus(const container::ContainerRecord& record, ::runtime::v1::ContainerStatus& out);
bool MatchesFilter(const container::ContainerRecord& record, const ::runtime::v1::ContainerFilter& filter);

}  // namespace cloison::server
