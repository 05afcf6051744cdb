# cloison_link_static_daemon_libs(TARGET PROJECT_LIBS...): links TARGET (cloisond) as a non-PIE
# executable against the static archives Debian ships of gRPC, protobuf, abseil, c-ares, re2,
# upb, libarchive, libseccomp and yaml-cpp, and statically against libstdc++ and libgcc (spdlog
# and fmt are compiled in by the cloison_spdlog module, src/CMakeLists.txt). Shared stay: glibc,
# libcurl and OpenSSL (libcurl.a would need archives Debian does not ship, and there must be one
# OpenSSL, which gRPC uses too), zlib and libzstd (libcurl loads them anyway). The loader then
# maps 32 libraries instead of 98, none of the static ones' symbol tables, relocations and
# start-up pages stay resident, and a non-PIE binary has no relocated data of its own: idle RSS
# 37 -> 29 MiB, then 27.8 -> 26.5 MiB without the shared libstdc++ (docs/performance.md).
#
# How: as cloison_link_static_helper_libs (cmake/StaticHelperLink.cmake): PROJECT_LIBS (every
# project static library TARGET needs, in link order) first, then the archives in one group, so
# they define every gRPC/abseil/protobuf symbol; the shared libraries the imported targets still
# append are then dropped by --as-needed. The test cloisond_links_static (tests/unit) fails if
# one of them is still loaded (a new abseil library missing from the list below, say).
include(${CMAKE_CURRENT_LIST_DIR}/StaticHelperLink.cmake)

# The monitor's abseil libraries (CLOISON_STATIC_ABSL_ARCHIVES) and the random ones gRPC uses.
set(CLOISON_STATIC_DAEMON_ARCHIVES
  grpc++ grpc gpr upb address_sorting cares re2 protobuf seccomp yaml-cpp archive
  ${CLOISON_STATIC_ABSL_ARCHIVES}
  absl_random_distributions absl_random_internal_platform absl_random_internal_pool_urbg
  absl_random_internal_randen absl_random_internal_randen_hwaes absl_random_internal_randen_hwaes_impl
  absl_random_internal_randen_slow absl_random_internal_seed_material absl_random_seed_gen_exception
  absl_random_seed_sequences)

function(cloison_link_static_daemon_libs target)
  set(project_libs ${ARGN})
  cloison_find_static_archives(archives ${CLOISON_STATIC_DAEMON_ARCHIVES})
  # libarchive's zstd filter needs libzstd, linked shared: libcurl loads it anyway.
  pkg_check_modules(LIBZSTD REQUIRED IMPORTED_TARGET libzstd)
  target_link_libraries(${target} PRIVATE ${project_libs} -Wl,--start-group ${archives} -Wl,--end-group
    -Wl,--as-needed PkgConfig::LIBZSTD)
  target_link_options(${target} PRIVATE -no-pie -static-libstdc++ -static-libgcc)
endfunction()
