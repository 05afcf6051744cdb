# cloison_module(NAME SOURCES ... DEPS ...): one static library per module folder, with the
# project's warnings, the public include/ directory and the given dependencies.
function(cloison_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(cloison_${name} STATIC ${ARG_SOURCES})
  target_include_directories(cloison_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include)
  target_compile_options(cloison_${name} PRIVATE ${CLOISON_WARNINGS} $<$<NOT:$<BOOL:${CLOISON_FUZZ}>>:-Werror>)
  target_link_libraries(cloison_${name} PUBLIC ${ARG_DEPS})
endfunction()
