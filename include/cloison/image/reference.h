// Docker-style image references: parsing with Docker's normalization, short-name resolution
// through search registries, and the digest / loopback-registry checks the image module shares.
// Parse errors are INVALID_ARGUMENT naming the input and what is wrong with it.
//
// Grammar (distribution/reference): [registry "/"] path [":" tag] ["@" digest], where
//   registry  := host [":" port]; host is dot-separated labels of [A-Za-z0-9-] (no edge '-')
//                or "[" IPv6 "]"; port is 0-65535.
//   path      := component ("/" component)*; component is runs of [a-z0-9] joined by
//                ".", "_", "__" or one or more "-".
//   tag       := [\w][\w.-]{0,127}
//   digest    := "sha256:" 64 lowercase hex (other algorithms are rejected: the content
//                store is sha256-only).
// Normalization follows Docker: the first path element is a registry only when it contains
// '.' or ':' or is "localhost"; otherwise the registry is docker.io. "index.docker.io" (and
// only it, as in Docker; "registry-1.docker.io" stays as written) becomes docker.io. A
// docker.io repository without '/' gets "library/". A missing tag becomes "latest" unless a
// digest was given. A bare 64-hex string is an image ID and is rejected.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::image {

struct Reference {
  std::string registry;    // "docker.io", "localhost:5000", "[::1]:5000", ...
  std::string repository;  // "library/busybox", "a/b/c"
  std::string tag;         // "" when only a digest was given
  std::string digest;      // "sha256:<64 lowercase hex>" or ""

  std::string Name() const;            // registry/repository
  std::string String() const;          // registry/repository[:tag][@digest]
  std::string TaggedString() const;    // registry/repository:tag, or "" without a tag
  std::string DigestedString() const;  // registry/repository@digest, or "" without a digest

  bool operator==(const Reference&) const = default;
};

absl::StatusOr<Reference> ParseReference(absl::string_view text);

// True when `text` names no registry by Docker's rule above ("busybox", "user/app").
bool IsShortName(absl::string_view text);

// CRI-O style: a short name yields one reference per search registry, in order, with
// "library/" added for docker.io only; duplicates are dropped. A fully-qualified name yields
// just itself. An empty search list means {"docker.io"}. Search registries must be host[:port].
absl::StatusOr<std::vector<Reference>> ResolveName(
    absl::string_view text, const std::vector<std::string>& search_registries);

// True for registries on loopback addresses, which may be served over plain HTTP:
// "localhost", 127.0.0.0/8 and "[::1]", each with or without ":port".
bool IsLoopbackRegistry(absl::string_view registry);

// True for "sha256:" followed by exactly 64 lowercase hex characters.
bool IsValidDigest(absl::string_view digest);

}  // namespace cloison::image
