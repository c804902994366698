// initlab's optional native linear algebra: a plain-C N-API addon over the system LAPACK
// (Debian's OpenBLAS, the same library Debian's numpy links). It calls the Fortran LAPACK
// symbols directly (dgesdd_, dsyevd_, dgemm_) so only libopenblas-dev is needed.
//
// sgemm and the thread controls serve initlab's tfjs kernels (src/nn/native-kernels.ts): they
// read and write Float32Array views of the wasm backend's heap in place, without copies.
//
// All matrices cross the boundary as row-major Float64Arrays (Float32Arrays for sgemm). A row-major m×n buffer is
// the column-major n×m transpose, which the functions below exploit instead of copying.
// Calls are synchronous: they block the event loop, like numpy blocks Python.
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

extern void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s,
                    double* u, const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork,
                    int* iwork, int* info);
extern void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
                    double* work, const int* lwork, int* iwork, const int* liwork, int* info);
extern void dgemm_(const char* ta, const char* tb, const int* m, const int* n, const int* k, const double* alpha,
                   const double* a, const int* lda, const double* b, const int* ldb, const double* beta, double* c,
                   const int* ldc);
extern void sgemm_(const char* ta, const char* tb, const int* m, const int* n, const int* k, const float* alpha,
                   const float* a, const int* lda, const float* b, const int* ldb, const float* beta, float* c,
                   const int* ldc);
extern void openblas_set_num_threads(int n);
extern int openblas_get_num_threads(void);

#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error(env, NULL, "initlab lapack: N-API call failed"); \
      return NULL;                                                   \
    }                                                                \
  } while (0)

static napi_value throw_msg(napi_env env, const char* msg) {
  napi_throw_error(env, NULL, msg);
  return NULL;
}

// Reads a typed-array argument of the given element type (any view, e.g. of a wasm heap);
// returns its data pointer and length.
static int get_typed(napi_env env, napi_value v, napi_typedarray_type want, void** data, size_t* len) {
  napi_typedarray_type t;
  size_t n;
  void* p;
  napi_value ab;
  size_t off;
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  if (napi_get_typedarray_info(env, v, &t, &n, &p, &ab, &off) != napi_ok || t != want) return 0;
  *data = p;
  *len = n;
  return 1;
}

static int get_f64(napi_env env, napi_value v, double** data, size_t* len) {
  return get_typed(env, v, napi_float64_array, (void**)data, len);
}

static int get_f32(napi_env env, napi_value v, float** data, size_t* len) {
  return get_typed(env, v, napi_float32_array, (void**)data, len);
}

static int get_int(napi_env env, napi_value v, int* out) {
  int32_t x;
  if (napi_get_value_int32(env, v, &x) != napi_ok) return 0;
  *out = x;
  return 1;
}

// A new Float64Array of length n; *data points at its storage.
static napi_value new_f64(napi_env env, size_t n, double** data) {
  napi_value ab, ta;
  void* p;
  if (napi_create_arraybuffer(env, n * sizeof(double), &p, &ab) != napi_ok) return NULL;
  if (napi_create_typedarray(env, napi_float64_array, n, ab, 0, &ta) != napi_ok) return NULL;
  *data = (double*)p;
  return ta;
}

// svd(a: Float64Array (row-major m×n), m, n, vectors: boolean)
//   → { s: Float64Array(k), u: Float64Array(m×k row-major), vt: Float64Array(k×n row-major) }
// LAPACK sees X = Aᵀ (n×m, column-major). X = Ux S VTx gives A = VTxᵀ S Uxᵀ, so
// VTx's column-major k×m storage is U row-major m×k, and Ux's n×k storage is Vᵀ row-major k×n.
static napi_value Svd(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) return throw_msg(env, "svd: expected (a, m, n, vectors)");
  double* a;
  size_t len;
  int m, n;
  bool vectors;
  if (!get_f64(env, argv[0], &a, &len)) return throw_msg(env, "svd: a must be a Float64Array");
  if (!get_int(env, argv[1], &m) || !get_int(env, argv[2], &n) || m <= 0 || n <= 0 || (size_t)m * n != len)
    return throw_msg(env, "svd: bad shape");
  CHECK(napi_get_value_bool(env, argv[3], &vectors));
  int k = m < n ? m : n;
  int xr = n, xc = m;  // X = Aᵀ is n×m
  double* x = (double*)malloc(sizeof(double) * len);
  if (!x) return throw_msg(env, "svd: out of memory");
  memcpy(x, a, sizeof(double) * len);  // dgesdd overwrites its input

  double *s, *u = NULL, *vt = NULL;
  napi_value js_s = new_f64(env, k, &s);
  napi_value js_u = NULL, js_vt = NULL;
  double* ux = NULL;  // Ux (n×k column-major) = Vᵀ row-major
  double* vtx = NULL; // VTx (k×m column-major) = U row-major
  if (vectors) {
    js_u = new_f64(env, (size_t)m * k, &vtx);
    js_vt = new_f64(env, (size_t)k * n, &ux);
    u = ux;
    vt = vtx;
  }
  if (!js_s || (vectors && (!js_u || !js_vt))) {
    free(x);
    return throw_msg(env, "svd: could not allocate results");
  }
  const char jobz = vectors ? 'S' : 'N';
  int ldu = xr, ldvt = vectors ? k : 1, lwork = -1, infov = 0;
  int ldu_use = vectors ? ldu : 1;
  int* iwork = (int*)malloc(sizeof(int) * 8 * (size_t)k);
  double wq;
  dgesdd_(&jobz, &xr, &xc, x, &xr, s, u, &ldu_use, vt, &ldvt, &wq, &lwork, iwork, &infov);
  if (infov == 0) {
    lwork = (int)wq + 1;
    double* work = (double*)malloc(sizeof(double) * (size_t)lwork);
    if (!work || !iwork) {
      free(work);
      free(iwork);
      free(x);
      return throw_msg(env, "svd: out of memory");
    }
    dgesdd_(&jobz, &xr, &xc, x, &xr, s, u, &ldu_use, vt, &ldvt, work, &lwork, iwork, &infov);
    free(work);
  }
  free(iwork);
  free(x);
  if (infov != 0) return throw_msg(env, infov > 0 ? "svd: dgesdd did not converge" : "svd: dgesdd bad argument");

  napi_value out;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_set_named_property(env, out, "s", js_s));
  if (vectors) {
    CHECK(napi_set_named_property(env, out, "u", js_u));
    CHECK(napi_set_named_property(env, out, "vt", js_vt));
  }
  return out;
}

// eigh(a: Float64Array (row-major symmetric n×n), n) → { w: Float64Array(n) ascending,
//   zt: Float64Array(n×n) whose ROW j is eigenvector j (column-major Z read row-major) }
static napi_value Eigh(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_msg(env, "eigh: expected (a, n)");
  double* a;
  size_t len;
  int n;
  if (!get_f64(env, argv[0], &a, &len)) return throw_msg(env, "eigh: a must be a Float64Array");
  if (!get_int(env, argv[1], &n) || n <= 0 || (size_t)n * n != len) return throw_msg(env, "eigh: bad shape");
  double *w, *z;
  napi_value js_w = new_f64(env, n, &w);
  napi_value js_z = new_f64(env, len, &z);
  if (!js_w || !js_z) return throw_msg(env, "eigh: could not allocate results");
  memcpy(z, a, sizeof(double) * len);  // symmetric: row-major = column-major
  const char jobz = 'V', uplo = 'L';
  int lwork = -1, liwork = -1, infov = 0, iwq = 0;
  double wq;
  dsyevd_(&jobz, &uplo, &n, z, &n, w, &wq, &lwork, &iwq, &liwork, &infov);
  if (infov == 0) {
    lwork = (int)wq + 1;
    liwork = iwq;
    double* work = (double*)malloc(sizeof(double) * (size_t)lwork);
    int* iwork = (int*)malloc(sizeof(int) * (size_t)liwork);
    if (!work || !iwork) {
      free(work);
      free(iwork);
      return throw_msg(env, "eigh: out of memory");
    }
    dsyevd_(&jobz, &uplo, &n, z, &n, w, work, &lwork, iwork, &liwork, &infov);
    free(work);
    free(iwork);
  }
  if (infov != 0) return throw_msg(env, infov > 0 ? "eigh: dsyevd did not converge" : "eigh: dsyevd bad argument");
  napi_value out;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_set_named_property(env, out, "w", js_w));
  CHECK(napi_set_named_property(env, out, "zt", js_z));
  return out;
}

// gemm(a, b, m, k, n, transA, transB) → c = op(a)·op(b), row-major m×n, where op(a) is m×k
// (a stored m×k, or k×m when transA) and op(b) is k×n (b stored k×n, or n×k when transB).
// Row-major C = op(A) op(B) is column-major Cᵀ = op(B)ᵀ op(A)ᵀ: dgemm with the roles swapped.
static napi_value Gemm(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) return throw_msg(env, "gemm: expected (a, b, m, k, n[, transA, transB])");
  double *a, *b, *c;
  size_t la, lb;
  int m, k, n;
  bool ta = false, tb = false;
  if (!get_f64(env, argv[0], &a, &la) || !get_f64(env, argv[1], &b, &lb))
    return throw_msg(env, "gemm: a and b must be Float64Arrays");
  if (!get_int(env, argv[2], &m) || !get_int(env, argv[3], &k) || !get_int(env, argv[4], &n) || m <= 0 || k <= 0 ||
      n <= 0 || (size_t)m * k != la || (size_t)k * n != lb)
    return throw_msg(env, "gemm: bad shape");
  if (argc >= 6) CHECK(napi_get_value_bool(env, argv[5], &ta));
  if (argc >= 7) CHECK(napi_get_value_bool(env, argv[6], &tb));
  napi_value js_c = new_f64(env, (size_t)m * n, &c);
  if (!js_c) return throw_msg(env, "gemm: could not allocate result");
  const char opa = ta ? 'T' : 'N', opb = tb ? 'T' : 'N';
  const int lda = ta ? m : k, ldb = tb ? k : n;
  const double one = 1.0, zero = 0.0;
  dgemm_(&opb, &opa, &n, &m, &k, &one, b, &ldb, a, &lda, &zero, c, &n);
  return js_c;
}

// sgemm(a, b, c, batch, m, k, n, transA, transB, strideA, strideB) writes, for each of the batch
// products i, c[i] = op(a[i])·op(b[i]) row-major (m×n), where a[i] starts at i·strideA and b[i]
// at i·strideB (a stride of 0 broadcasts one matrix over the batch) and c[i] at i·m·n.
// Row-major C = op(A) op(B) is column-major Cᵀ = op(B)ᵀ op(A)ᵀ: sgemm with the roles swapped.
// Every element is one k-long dot product computed by one thread, so a given thread count
// gives bit-identical results run to run.
static napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 11) return throw_msg(env, "sgemm: expected (a, b, c, batch, m, k, n, transA, transB, strideA, strideB)");
  float *a, *b, *c;
  size_t la, lb, lc;
  int batch, m, k, n, sa, sb;
  bool ta = false, tb = false;
  if (!get_f32(env, argv[0], &a, &la) || !get_f32(env, argv[1], &b, &lb) || !get_f32(env, argv[2], &c, &lc))
    return throw_msg(env, "sgemm: a, b and c must be Float32Arrays");
  if (!get_int(env, argv[3], &batch) || !get_int(env, argv[4], &m) || !get_int(env, argv[5], &k) ||
      !get_int(env, argv[6], &n) || !get_int(env, argv[9], &sa) || !get_int(env, argv[10], &sb) || batch <= 0 ||
      m <= 0 || k <= 0 || n <= 0 || sa < 0 || sb < 0)
    return throw_msg(env, "sgemm: batch, m, k, n must be positive and strides non-negative integers");
  CHECK(napi_get_value_bool(env, argv[7], &ta));
  CHECK(napi_get_value_bool(env, argv[8], &tb));
  if ((size_t)(batch - 1) * sa + (size_t)m * k > la || (size_t)(batch - 1) * sb + (size_t)k * n > lb ||
      (size_t)batch * m * n > lc)
    return throw_msg(env, "sgemm: a, b or c is shorter than the shapes and strides need");
  const char opa = ta ? 'T' : 'N', opb = tb ? 'T' : 'N';
  const int lda = ta ? m : k, ldb = tb ? k : n;
  const float one = 1.0f, zero = 0.0f;
  for (int i = 0; i < batch; i++)
    sgemm_(&opb, &opa, &n, &m, &k, &one, b + (size_t)i * sb, &ldb, a + (size_t)i * sa, &lda, &zero,
           c + (size_t)i * m * n, &n);
  return NULL;
}

// blasThreads([n]) sets OpenBLAS's thread count when n is given; returns the count in use.
static napi_value BlasThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc >= 1) {
    napi_valuetype t;
    CHECK(napi_typeof(env, argv[0], &t));
    if (t != napi_undefined) {
      int nt;
      if (!get_int(env, argv[0], &nt) || nt < 1) return throw_msg(env, "blasThreads: n must be a positive integer");
      openblas_set_num_threads(nt);
    }
  }
  napi_value out;
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &out));
  return out;
}

// Convolution geometry shared by im2col and col2im (NHWC, one row per output pixel, columns
// ordered (kh, kw, c) like a [KH, KW, C, Co] filter viewed as [KH·KW·C, Co]).
typedef struct {
  int B, H, W, C, Ho, Wo, KH, KW, sh, sw, top, left, dh, dw;
} conv_geom;

// n floats from src to dst, or zeros when src is NULL; short runs (small C) by hand, since a
// libc call per pixel costs more than the copy.
static inline void copy_or_zero(float* dst, const float* src, int n) {
  if (n <= 16) {
    if (src)
      for (int i = 0; i < n; i++) dst[i] = src[i];
    else
      for (int i = 0; i < n; i++) dst[i] = 0.0f;
  } else if (src) {
    memcpy(dst, src, sizeof(float) * (size_t)n);
  } else {
    memset(dst, 0, sizeof(float) * (size_t)n);
  }
}

static int get_geom(napi_env env, napi_value v, conv_geom* g) {
  int vals[14];
  for (uint32_t i = 0; i < 14; i++) {
    napi_value e;
    if (napi_get_element(env, v, i, &e) != napi_ok || !get_int(env, e, &vals[i])) return 0;
  }
  memcpy(g, vals, sizeof(vals));
  if (g->B <= 0 || g->H <= 0 || g->W <= 0 || g->C <= 0 || g->Ho <= 0 || g->Wo <= 0 || g->KH <= 0 || g->KW <= 0 ||
      g->sh <= 0 || g->sw <= 0 || g->dh <= 0 || g->dw <= 0)
    return 0;
  return 1;
}

// im2col(x, cols, geom, b0, b1): rows for images [b0, b1) of x [B,H,W,C] into cols [(b1-b0)·Ho·Wo, KH·KW·C];
// padding reads as 0. col2im(dcols, dx, geom): dx [B,H,W,C] = the scatter-add of dcols (the adjoint).
static napi_value Im2col(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *x, *cols;
  size_t lx, lc;
  conv_geom g;
  int b0, b1;
  if (argc != 5 || !get_f32(env, argv[0], &x, &lx) || !get_f32(env, argv[1], &cols, &lc) || !get_geom(env, argv[2], &g) ||
      !get_int(env, argv[3], &b0) || !get_int(env, argv[4], &b1) || b0 < 0 || b1 > g.B || b0 >= b1)
    return throw_msg(env, "im2col: expected (x: Float32Array, cols: Float32Array, geometry[14], b0, b1)");
  const size_t K = (size_t)g.KH * g.KW * g.C;
  if (lx < (size_t)g.B * g.H * g.W * g.C || lc < (size_t)(b1 - b0) * g.Ho * g.Wo * K)
    return throw_msg(env, "im2col: x or cols is shorter than the geometry needs");
  float* o = cols;
  const int run = g.KW * g.C; // one filter row of a patch: contiguous in x when dw = 1
  for (int b = b0; b < b1; b++)
    for (int yo = 0; yo < g.Ho; yo++)
      for (int xo = 0; xo < g.Wo; xo++)
        for (int kh = 0; kh < g.KH; kh++) {
          const int yi = yo * g.sh - g.top + kh * g.dh;
          const int xi0 = xo * g.sw - g.left;
          if (yi < 0 || yi >= g.H) {
            copy_or_zero(o, NULL, run);
            o += run;
            continue;
          }
          const float* rowp = x + ((size_t)b * g.H + yi) * g.W * g.C;
          if (g.dw == 1 && xi0 >= 0 && xi0 + g.KW <= g.W) {
            copy_or_zero(o, rowp + (size_t)xi0 * g.C, run);
            o += run;
            continue;
          }
          for (int kw = 0; kw < g.KW; kw++, o += g.C) {
            const int xi = xi0 + kw * g.dw;
            copy_or_zero(o, xi < 0 || xi >= g.W ? NULL : rowp + (size_t)xi * g.C, g.C);
          }
        }
  return NULL;
}

static napi_value Col2im(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *dc, *dx;
  size_t lc, lx;
  conv_geom g;
  if (argc != 3 || !get_f32(env, argv[0], &dc, &lc) || !get_f32(env, argv[1], &dx, &lx) || !get_geom(env, argv[2], &g))
    return throw_msg(env, "col2im: expected (dcols: Float32Array, dx: Float32Array, geometry[14])");
  const size_t K = (size_t)g.KH * g.KW * g.C;
  if (lx < (size_t)g.B * g.H * g.W * g.C || lc < (size_t)g.B * g.Ho * g.Wo * K)
    return throw_msg(env, "col2im: dcols or dx is shorter than the geometry needs");
  memset(dx, 0, sizeof(float) * (size_t)g.B * g.H * g.W * g.C);
  const float* o = dc;
  const int run = g.KW * g.C;
  for (int b = 0; b < g.B; b++)
    for (int yo = 0; yo < g.Ho; yo++)
      for (int xo = 0; xo < g.Wo; xo++)
        for (int kh = 0; kh < g.KH; kh++) {
          const int yi = yo * g.sh - g.top + kh * g.dh;
          const int xi0 = xo * g.sw - g.left;
          if (yi < 0 || yi >= g.H) {
            o += run;
            continue;
          }
          float* rowp = dx + ((size_t)b * g.H + yi) * g.W * g.C;
          if (g.dw == 1 && xi0 >= 0 && xi0 + g.KW <= g.W) {
            float* d = rowp + (size_t)xi0 * g.C;
            for (int i = 0; i < run; i++) d[i] += o[i];
            o += run;
            continue;
          }
          for (int kw = 0; kw < g.KW; kw++, o += g.C) {
            const int xi = xi0 + kw * g.dw;
            if (xi < 0 || xi >= g.W) continue;
            float* d = rowp + (size_t)xi * g.C;
            for (int c = 0; c < g.C; c++) d[c] += o[c];
          }
        }
  return NULL;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"svd", NULL, Svd, NULL, NULL, NULL, napi_default, NULL},
      {"eigh", NULL, Eigh, NULL, NULL, NULL, napi_default, NULL},
      {"gemm", NULL, Gemm, NULL, NULL, NULL, napi_default, NULL},
      {"sgemm", NULL, Sgemm, NULL, NULL, NULL, napi_default, NULL},
      {"blasThreads", NULL, BlasThreads, NULL, NULL, NULL, napi_default, NULL},
      {"im2col", NULL, Im2col, NULL, NULL, NULL, napi_default, NULL},
      {"col2im", NULL, Col2im, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, 7, props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
