# graphviz.cmake: links graphviz's layout library (libgvc + libcgraph) into micrograd when
# pkg-config finds it, so render() draws in-process (MICROGRAD_HAVE_GVC). Without it render()
# runs the `dot` program at run time, and without that it writes the .dot text and names the
# Debian package to install ('graphviz'; 'libgraphviz-dev' for building with libgvc).
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(MICROGRAD_GVC QUIET libgvc libcgraph)
endif()
option(MICROGRAD_USE_GVC "Render graphs with libgvc when found (else run the dot program)" ON)
if(MICROGRAD_SANITIZE AND MICROGRAD_GVC_FOUND)
  # libgvc 2.43 and fontconfig leak on every render; LeakSanitizer would fail every test that
  # draws. The sanitizer build runs the `dot` program instead (and so tests that path).
  message(STATUS "micrograd: sanitizer build: not linking libgvc (its own leaks), using 'dot'")
elseif(MICROGRAD_USE_GVC AND MICROGRAD_GVC_FOUND)
  # Full library paths, not an imported target, so the exported micrograd target stays usable
  # by find_package(micrograd) consumers without a pkg-config step of their own.
  target_include_directories(micrograd PRIVATE ${MICROGRAD_GVC_INCLUDE_DIRS})
  target_link_libraries(micrograd PRIVATE ${MICROGRAD_GVC_LINK_LIBRARIES})
  target_compile_definitions(micrograd PRIVATE MICROGRAD_HAVE_GVC)
  message(STATUS "micrograd: drawing graphs with libgvc ${MICROGRAD_GVC_libgvc_VERSION}")
else()
  message(STATUS "micrograd: libgvc not found (Debian: libgraphviz-dev); "
                 "graphs are rendered by running the 'dot' program")
endif()
