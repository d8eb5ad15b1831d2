{
  "targets": [
    {
      "target_name": "origdst",
      "sources": ["native/origdst.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
