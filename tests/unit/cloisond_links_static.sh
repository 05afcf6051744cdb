#!/bin/sh
# cloisond_links_static.sh CLOISOND: fails when cloisond loads a shared copy of a library that
# cmake/StaticDaemonLink.cmake links statically (a new abseil library missing from its list would
# bring its .so and that of every abseil library it needs: two copies; a module linking
# spdlog::spdlog instead of cloison_spdlog would bring libspdlog, libfmt and libstdc++), or is
# not non-PIE.
set -eu
binary=$1
loaded=$(ldd "$binary")
shared=$(printf '%s\n' "$loaded" |
  grep -E 'lib(grpc|gpr|upb|address_sorting|cares|re2|protobuf|absl_|seccomp|yaml-cpp|archive|spdlog|fmt|stdc\+\+|gcc_s)[^ ]*\.so' || true)
if [ -n "$shared" ]; then
  printf '%s loads these shared, add their archives to cmake/StaticDaemonLink.cmake (spdlog, fmt: link cloison_spdlog):\n%s\n' "$binary" "$shared" >&2
  exit 1
fi
if ! readelf -h "$binary" | grep -q 'Type: *EXEC'; then
  echo "$binary is not a non-PIE executable" >&2
  exit 1
fi
echo "$binary: $(printf '%s\n' "$loaded" | grep -c '=>') shared libraries, none of those linked statically"
