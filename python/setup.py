"""setup.py: builds micrograd_cpp._core with the project's CMake build, for pip.

    pip install --no-build-isolation ./python       (from the repository root; no network)
Not here: the package metadata (pyproject.toml), the build rules (python/CMakeLists.txt).
"""
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the repository


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = os.path.abspath(os.path.join(self.build_temp, "cmake"))
        subprocess.check_call([
            "cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
            f"-DPython_EXECUTABLE={sys.executable}", "-DMICROGRAD_BUILD_PYTHON=ON",
            "-DMICROGRAD_BUILD_TESTS=OFF", "-DMICROGRAD_BUILD_EXAMPLES=OFF",
            "-DMICROGRAD_BUILD_BENCH=OFF", "-DMICROGRAD_BUILD_CLI=OFF"])
        subprocess.check_call(["cmake", "--build", build, "--target", "micrograd_py_core",
                               "--parallel", str(os.cpu_count() or 1)])
        built = os.path.join(build, "python", "micrograd_cpp")
        so = next(f for f in os.listdir(built) if f.startswith("_core") and f.endswith(".so"))
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(os.path.join(built, so), target)


setup(ext_modules=[Extension("micrograd_cpp._core", sources=[])], cmdclass={"build_ext": CMakeBuild})
