{
  "targets": [
    {
      "target_name": "age_blas",
      "sources": ["src/addon.cc", "src/conv.cc", "src/adam.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-exceptions", "-fno-math-errno"],
      "conditions": [
        ["OS=='mac'", {
          "defines": ["AGE_BLAS_ACCELERATE"],
          "libraries": ["-framework Accelerate"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17"] }
        }, {
          "libraries": ["-lopenblas", "-lpthread"]
        }]
      ]
    }
  ]
}
