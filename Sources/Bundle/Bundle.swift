// Bundle module
