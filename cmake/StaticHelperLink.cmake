# cloison_link_static_helper_libs(TARGET PROJECT_LIBS...): links TARGET, a helper executable
# started once per container or per exec (cloison-monitor), against the static archives of
# abseil and protobuf-lite that Debian ships beside the shared ones, and statically against
# libstdc++ and libgcc; only glibc stays shared. The dynamic loader then maps 4 libraries
# instead of ~35 and skips their relocations at every start (9-10 ms down to 3-4 ms per start
# on the shared 2-core machine), and without their per-process relocated pages each monitor's
# PSS halves (docs/performance.md).
#
# How: PROJECT_LIBS (every project static library the target needs, in link order) come first
# on the link line, then the archives in one --start-group/--end-group, so these define every
# abseil and protobuf symbol; the shared libraries the imported targets still append after them
# are then dropped by --as-needed. The list names the abseil libraries the monitor uses today;
# one missing from it is simply linked shared (it works, it only costs its start-up).
# CLOISON_STATIC_ABSL_ARCHIVES serves cloisond's list too (cmake/StaticDaemonLink.cmake).
set(CLOISON_STATIC_ABSL_ARCHIVES
  absl_base absl_bad_optional_access absl_bad_variant_access absl_city absl_civil_time absl_cord
  absl_cord_internal absl_cordz_functions absl_cordz_handle absl_cordz_info absl_debugging_internal
  absl_demangle_internal absl_exponential_biased absl_graphcycles_internal absl_hash
  absl_hashtablez_sampler absl_int128 absl_log_severity absl_low_level_hash absl_malloc_internal
  absl_raw_hash_set absl_raw_logging_internal absl_spinlock_wait absl_stacktrace absl_status
  absl_statusor absl_str_format_internal absl_strerror absl_strings absl_strings_internal
  absl_symbolize absl_synchronization absl_throw_delegate absl_time absl_time_zone)
set(CLOISON_STATIC_HELPER_ARCHIVES protobuf-lite ${CLOISON_STATIC_ABSL_ARCHIVES})

# cloison_find_static_archives(OUT NAMES...): OUT = the paths of libNAME.a; fails if one is missing.
function(cloison_find_static_archives out)
  set(archives)
  foreach(name IN LISTS ARGN)
    find_library(CLOISON_STATIC_${name} NAMES lib${name}.a NO_CACHE)
    if(NOT CLOISON_STATIC_${name})
      message(FATAL_ERROR "lib${name}.a not found (scripts/install-deps.sh installs the -dev packages)")
    endif()
    list(APPEND archives ${CLOISON_STATIC_${name}})
  endforeach()
  set(${out} ${archives} PARENT_SCOPE)
endfunction()

function(cloison_link_static_helper_libs target)
  set(project_libs ${ARGN})
  cloison_find_static_archives(archives ${CLOISON_STATIC_HELPER_ARCHIVES})
  target_link_libraries(${target} PRIVATE ${project_libs} -Wl,--start-group ${archives} -Wl,--end-group -Wl,--as-needed)
  target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
endfunction()
