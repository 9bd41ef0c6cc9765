"""Project templates for export_c(project=...): the same model and runtime, laid out for a build system.

PROJECTS names them; "cmake" is the default layout (Makefile, CMakeLists.txt and a host runner).
"""
PROJECTS = ("cmake", "bare", "arduino", "platformio", "zephyr", "esp-idf")
