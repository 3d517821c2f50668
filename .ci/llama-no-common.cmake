# Injected after project("llama.cpp") through -DCMAKE_PROJECT_llama.cpp_INCLUDE=...:
# llama-cpp-python forces LLAMA_BUILD_COMMON ON (a cache variable); the Python bindings never load
# libllama-common, so a normal variable (which wins over the cache one, CMP0077/CMP0126 NEW) skips it.
set(LLAMA_BUILD_COMMON OFF)
