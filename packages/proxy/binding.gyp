{
  "targets": [
    {
      "target_name": "origdst",
      "sources": ["native/origdst.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    },
    {
      "target_name": "weftshm",
      "sources": ["native/shm.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
