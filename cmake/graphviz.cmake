# graphviz.cmake: links graphviz's layout library (libgvc + libcgraph) into micrograd when
# pkg-config finds it, so render() draws in-process (MICROGRAD_HAVE_GVC). Without it render()
# runs the `dot` program at run time, and without that it writes the .dot text and names the
# Debian package to install ('graphviz'; 'libgraphviz-dev' for building with libgvc).
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(MICROGRAD_GVC QUIET IMPORTED_TARGET GLOBAL libgvc libcgraph)
endif()
set(MICROGRAD_WITH_GVC OFF)
option(MICROGRAD_USE_GVC "Render graphs with libgvc when found (else run the dot program)" ON)
if(MICROGRAD_SANITIZE AND MICROGRAD_GVC_FOUND)
  # libgvc 2.43 and fontconfig leak on every render; LeakSanitizer would fail every test that
  # draws. The sanitizer build runs the `dot` program instead (and so tests that path).
  message(STATUS "micrograd: sanitizer build: not linking libgvc (its own leaks), using 'dot'")
elseif(MICROGRAD_USE_GVC AND MICROGRAD_GVC_FOUND)
  # The pkg-config imported target: the exported micrograd target names it, and the package
  # config (cmake/micrograd-config.cmake.in) finds it again on the consumer's machine, so no
  # absolute library path is baked into the installed package.
  target_link_libraries(micrograd PRIVATE PkgConfig::MICROGRAD_GVC)
  target_compile_definitions(micrograd PRIVATE MICROGRAD_HAVE_GVC)
  set(MICROGRAD_WITH_GVC ON)
  message(STATUS "micrograd: drawing graphs with libgvc ${MICROGRAD_GVC_libgvc_VERSION}")
else()
  message(STATUS "micrograd: libgvc not found (Debian: libgraphviz-dev); "
                 "graphs are rendered by running the 'dot' program")
endif()
