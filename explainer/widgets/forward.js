/* The models of explainer.models run in the page, with no kernel and no network.
 *
 * window.vaeForward = {unpack, decode, encode, strokesToImage, textBytes}
 *   unpack(packed)               packed: explainer.packing.pack_model's dict; the
 *                                weights are decoded once into Float32Arrays (kept per dict,
 *                                so decode and encode may be passed the dict every time)
 *   decode(model, codes)         codes: n * latent_dim numbers -> Float32Array(n * input_dim),
 *                                probabilities (Bernoulli decoder) or means (Gaussian)
 *   encode(model, images)        images: n * input_dim -> {means, logvars}: Float32Arrays
 *                                (n * latent_dim); logvars null for an AE
 *   strokesToImage(strokes, canvasSize, penWidth)
 *                                explainer.strokes.strokes_to_image: Float32Array(784) or null
 */
(function () {
  "use strict";

  // ---------------------------------------------------------------- weights
  // IEEE half precision: sign, 5 exponent bits (bias 15), 10 fraction bits
  function halfToFloat(h) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    // subnormal: (-1)^s * 2^-14 * frac / 1024
    if (exp === 0) return sign * frac * Math.pow(2, -24);
    if (exp === 31) return frac ? NaN : sign * Infinity;
    // normal: (-1)^s * 2^(exp - 15) * (1 + frac / 1024)
    return sign * Math.pow(2, exp - 15) * (1 + frac / 1024);
  }

  const HALF = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) HALF[h] = halfToFloat(h);

  // explainer.packing.page_text: base85 (Python's alphabet, "<" written as "."), 5
  // characters per 4 bytes, big-endian; a last group of n + 1 characters holds n bytes
  const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" +
    "!#$%&()*+-;.=>?@^_`{|}~";
  const DIGIT = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) DIGIT[ALPHABET.charCodeAt(i)] = i;

  function textBytes(text) {
    const n = text.length, full = Math.floor(n / 5), rest = n % 5;
    if (rest === 1) throw new Error("packed text is cut short (a group of one character)");
    const bytes = new Uint8Array(4 * full + (rest ? rest - 1 : 0));
    let o = 0;
    for (let g = 0; g < full + (rest ? 1 : 0); g++) {
      let v = 0;
      for (let k = 0; k < 5; k++) {
        const i = 5 * g + k;
        // a short last group is padded with the largest digit, as Python's b85decode does
        const d = i < n ? (text.charCodeAt(i) < 128 ? DIGIT[text.charCodeAt(i)] : -1) : 84;
        if (d < 0) throw new Error(`packed text holds a character outside base85: ${text[i]}`);
        v = v * 85 + d;
      }
      if (v > 0xffffffff) throw new Error("packed text holds a group beyond 32 bits");
      const count = g < full ? 4 : rest - 1;
      for (let k = 0; k < count; k++) bytes[o++] = (v >>> (24 - 8 * k)) & 0xff;
    }
    return bytes;
  }

  // little-endian float16 or float32 values, packed text -> Float32Array
  function unpackArray(text, dtype, size) {
    const bytes = textBytes(text);
    const view = new DataView(bytes.buffer);
    const width = dtype === "float16" ? 2 : 4;
    if (bytes.length !== size * width) {
      throw new Error(`expected ${size} ${dtype} values, got ${bytes.length} bytes`);
    }
    const out = new Float32Array(size);
    if (width === 2) {
      for (let i = 0; i < size; i++) out[i] = HALF[view.getUint16(2 * i, true)];
    } else {
      for (let i = 0; i < size; i++) out[i] = view.getFloat32(4 * i, true);
    }
    return out;
  }

  // Rows go through the layers BLOCK at a time: each row of W is read once for BLOCK
  // inputs. A layer's buffer holds its BLOCK outputs interleaved (out[BLOCK * j + r] is
  // output j of row r), which is how the next layer reads them.
  const BLOCK = 4;

  // int16 rows: w_ij = s_i q_ij (q little-endian int16, s float32; explainer.packing.row_int16)
  function unpackRows(layer) {
    const bytes = textBytes(layer.weight);
    const n = layer.n_in * layer.n_out;
    if (bytes.length !== 2 * n) throw new Error(`expected ${n} int16 values, got ${bytes.length} bytes`);
    const view = new DataView(bytes.buffer);
    const scale = unpackArray(layer.scale, "float32", layer.n_out);
    const out = new Float32Array(n);
    for (let i = 0; i < layer.n_out; i++) {
      const s = scale[i];
      for (let j = 0; j < layer.n_in; j++) {
        const k = i * layer.n_in + j;
        out[k] = s * view.getInt16(2 * k, true);
      }
    }
    return out;
  }

  function unpackStack(part, dtype) {
    const rows = dtype === "int16";
    return part.layers.map((layer) => ({
      nIn: layer.n_in,
      nOut: layer.n_out,
      weight: rows ? unpackRows(layer) : unpackArray(layer.weight, dtype, layer.n_in * layer.n_out),
      bias: unpackArray(layer.bias, rows ? "float32" : dtype, layer.n_out),
      activation: layer.activation,
      out: new Float64Array(BLOCK * layer.n_out),  // reused for every block of rows
      active: new Int32Array(layer.n_in),  // the block's inputs that are not all 0
      activeIn: new Float64Array(BLOCK * layer.n_in),
    }));
  }

  const FORMAT = "vae-explainer.mlp/2";  // explainer.packing.FORMAT
  const UNPACKED = typeof WeakMap === "function" ? new WeakMap() : null;

  function unpack(packed) {
    if (packed && packed.layersReady) return packed;  // already unpacked
    if (UNPACKED && UNPACKED.has(packed)) return UNPACKED.get(packed);
    if (!packed || packed.format !== FORMAT) {
      throw new Error(`not a packed model (format ${FORMAT}): ` +
                      "pack it with explainer.packing.pack_model");
    }
    if (!["int16", "float16", "float32"].includes(packed.dtype)) {
      throw new Error(`packed weights must be int16, float16 or float32, got ${packed.dtype}`);
    }
    const model = {
      layersReady: true,
      kind: packed.kind,
      likelihood: packed.likelihood,
      inputDim: packed.input_dim,
      latentDim: packed.latent_dim,
      fixedLogvar: packed.fixed_logvar,
      decoder: packed.decoder ? unpackStack(packed.decoder, packed.dtype) : null,
      encoder: packed.encoder ? unpackStack(packed.encoder, packed.dtype) : null,
      encoderOutput: packed.encoder ? packed.encoder.output : null,
      decoderInput: null,  // the interleaved inputs of a block, made on first use
      encoderInput: null,
    };
    if (UNPACKED) UNPACKED.set(packed, model);
    return model;
  }

  // ---------------------------------------------------------------- forward pass
  // Up to BLOCK rows of src (width numbers each, from row `first`, `count` of them)
  // through a stack of layers; returns the last layer's interleaved buffer.
  function runBlock(layers, input, src, first, count, width) {
    // the rows interleaved: input[BLOCK * k + r] = src[(first + r) * width + k]
    input.fill(0);
    for (let r = 0; r < count; r++) {
      const base = (first + r) * width;
      for (let k = 0; k < width; k++) input[BLOCK * k + r] = src[base + k];
    }
    let x = input;
    for (let l = 0; l < layers.length; l++) {
      const L = layers[l], W = L.weight, b = L.bias, y = L.out, nIn = L.nIn, nOut = L.nOut;
      const act = L.activation, idx = L.active, xs = L.activeIn;
      // a term W_jk x_k with x_k = 0 adds nothing: keep the inputs k that are not 0 in
      // every row of the block (after a ReLU about half of them, in a digit about a
      // fifth of its pixels), their values packed in xs, their indices in idx
      let m = 0;
      for (let k = 0, q = 0; k < nIn; k++, q += BLOCK) {
        if (x[q] !== 0 || (count > 1 && (x[q + 1] !== 0 || x[q + 2] !== 0 || x[q + 3] !== 0))) {
          const t = BLOCK * m;
          xs[t] = x[q]; xs[t + 1] = x[q + 1]; xs[t + 2] = x[q + 2]; xs[t + 3] = x[q + 3];
          idx[m++] = k;
        }
      }
      if (count === 1) {  // one row (a pointer move): no work for the 3 empty ones
        for (let j = 0, row = 0; j < nOut; j++, row += nIn) {
          // y_j = b_j + sum_k W_jk x_k   (row j of W is contiguous)
          let s = b[j];
          for (let t = 0, q = 0; t < m; t++, q += BLOCK) s += W[row + idx[t]] * xs[q];
          // ReLU: max(y, 0); sigmoid: 1 / (1 + exp(-y))
          y[BLOCK * j] = act === "relu" ? (s > 0 ? s : 0)
            : act === "sigmoid" ? 1 / (1 + Math.exp(-s)) : s;
        }
        x = y;
        continue;
      }
      for (let j = 0, row = 0; j < nOut; j++, row += nIn) {
        // y_j = b_j + sum_k W_jk x_k   (row j of W is contiguous), for the 4 rows at once
        let s0 = b[j], s1 = s0, s2 = s0, s3 = s0;
        for (let t = 0, q = 0; t < m; t++, q += BLOCK) {
          const w = W[row + idx[t]];
          s0 += w * xs[q]; s1 += w * xs[q + 1]; s2 += w * xs[q + 2]; s3 += w * xs[q + 3];
        }
        const o = BLOCK * j;
        if (act === "relu") {
          // ReLU: y = max(y, 0)
          y[o] = s0 > 0 ? s0 : 0; y[o + 1] = s1 > 0 ? s1 : 0;
          y[o + 2] = s2 > 0 ? s2 : 0; y[o + 3] = s3 > 0 ? s3 : 0;
        } else if (act === "sigmoid") {
          // sigmoid: p = 1 / (1 + exp(-y))
          y[o] = 1 / (1 + Math.exp(-s0)); y[o + 1] = 1 / (1 + Math.exp(-s1));
          y[o + 2] = 1 / (1 + Math.exp(-s2)); y[o + 3] = 1 / (1 + Math.exp(-s3));
        } else {
          y[o] = s0; y[o + 1] = s1; y[o + 2] = s2; y[o + 3] = s3;
        }
      }
      x = y;
    }
    return x;
  }

  // row r of an interleaved buffer (values start..end-1) into out at offset
  function copyRow(buffer, r, start, end, out, offset) {
    for (let j = start; j < end; j++) out[offset + j - start] = buffer[BLOCK * j + r];
  }

  function checkRows(values, width, what) {
    if (values.length % width !== 0) {
      throw new Error(`${what} must hold a multiple of ${width} numbers, got ${values.length}`);
    }
    return values.length / width;
  }

  // codes: n * latentDim numbers (row by row) -> Float32Array(n * inputDim): pixel
  // probabilities (Bernoulli decoder) or means (Gaussian), as Autoencoder.decode
  function decode(packed, codes) {
    const model = unpack(packed);
    if (!model.decoder) throw new Error("this model was packed without its decoder");
    const d = model.latentDim, p = model.inputDim;
    const n = checkRows(codes, d, "codes");
    const out = new Float32Array(n * p);
    const input = model.decoderInput || (model.decoderInput = new Float64Array(BLOCK * d));
    for (let i = 0; i < n; i += BLOCK) {
      const count = Math.min(BLOCK, n - i);
      const y = runBlock(model.decoder, input, codes, i, count, d);
      for (let r = 0; r < count; r++) copyRow(y, r, 0, p, out, (i + r) * p);
    }
    return out;
  }

  // images: n * inputDim pixels -> {means: Float32Array(n * d), logvars: Float32Array(n * d)
  // or null}, as Autoencoder.encode (split_encoding of the encoder's output h)
  function encode(packed, images) {
    const model = unpack(packed);
    if (!model.encoder) throw new Error("this model was packed without its encoder");
    const d = model.latentDim, p = model.inputDim;
    const n = checkRows(images, p, "images");
    const means = new Float32Array(n * d);
    const logvars = model.encoderOutput === "mean" ? null : new Float32Array(n * d);
    const input = model.encoderInput || (model.encoderInput = new Float64Array(BLOCK * p));
    for (let i = 0; i < n; i += BLOCK) {
      const count = Math.min(BLOCK, n - i);
      const h = runBlock(model.encoder, input, images, i, count, p);
      for (let r = 0; r < count; r++) {
        // VAE: (m, s) = (h[:d], h[d:]); AE: m = h
        copyRow(h, r, 0, d, means, (i + r) * d);
        if (model.encoderOutput === "mean_logvar") {
          copyRow(h, r, d, 2 * d, logvars, (i + r) * d);
        } else if (logvars) {
          // noisy AE: s = log(sigma^2), the same for every image
          logvars.fill(model.fixedLogvar, (i + r) * d, (i + r + 1) * d);
        }
      }
    }
    return {means, logvars};
  }

  window.vaeForward = Object.assign(window.vaeForward || {}, {unpack, decode, encode, textBytes});
})();

/* A drawing as MNIST would have it: explainer.strokes.strokes_to_image in the page.
 * Pillow's own rasterisation is reproduced (ImageDraw.line with a width, filled ellipses,
 * Image.resize with LANCZOS on an 8-bit image), so the pixels match Python's. */
(function () {
  "use strict";
  const f32 = Math.fround;

  // C's (int) cast: truncation towards zero
  const trunc = Math.trunc;
  // Pillow's Draw.c: ROUND_UP away from zero, ROUND_DOWN towards zero (at halves), on a
  // float argument (f + 0.5F is float arithmetic) or a double one
  const roundUpF = (f) => (f >= 0 ? Math.floor(f32(f + 0.5)) : -Math.floor(Math.abs(f) + 0.5));
  const roundDownF = (f) => (f >= 0 ? Math.ceil(f32(f - 0.5)) : -Math.ceil(Math.abs(f) - 0.5));
  const roundUpD = (f) => (f >= 0 ? Math.floor(f + 0.5) : -Math.floor(Math.abs(f) + 0.5));
  const roundDownD = (f) => (f >= 0 ? Math.ceil(f - 0.5) : -Math.ceil(Math.abs(f) - 0.5));
  // C's roundf: halves away from zero
  const roundf = (f) => (f >= 0 ? Math.floor(f + 0.5) : -Math.floor(-f + 0.5));
  // Python's round(): halves to even
  function roundHalfEven(x) {
    const r = Math.round(x);
    return (Math.abs(x % 1) === 0.5 && r % 2 !== 0) ? r - 1 : r;
  }

  function Canvas(size) {
    this.size = size;
    this.px = new Uint8Array(size * size);
  }
  Canvas.prototype.point = function (x, y) {
    if (x >= 0 && x < this.size && y >= 0 && y < this.size) this.px[y * this.size + x] = 255;
  };
  Canvas.prototype.hline = function (x0, y, x1) {
    const n = this.size;
    if (y < 0 || y >= n) return;
    if (x0 < 0) x0 = 0; else if (x0 >= n) return;
    if (x1 < 0) return; else if (x1 >= n) x1 = n - 1;
    if (x0 <= x1) this.px.fill(255, y * n + x0, y * n + x1 + 1);
  };

  // Draw.c line8: Bresenham, the last point left out
  function line1(c, x0, y0, x1, y1) {
    let dx = x1 - x0, dy = y1 - y0, xs = 1, ys = 1;
    if (dx < 0) { dx = -dx; xs = -1; }
    if (dy < 0) { dy = -dy; ys = -1; }
    if (dx === 0) {
      for (let i = 0; i < dy; i++) { c.point(x0, y0); y0 += ys; }
    } else if (dy === 0) {
      for (let i = 0; i < dx; i++) { c.point(x0, y0); x0 += xs; }
    } else if (dx > dy) {
      const n = dx; dy += dy; let e = dy - dx; dx += dx;
      for (let i = 0; i < n; i++) {
        c.point(x0, y0);
        if (e >= 0) { y0 += ys; e -= dx; }
        e += dy; x0 += xs;
      }
    } else {
      const n = dy; dx += dx; let e = dx - dy; dy += dy;
      for (let i = 0; i < n; i++) {
        c.point(x0, y0);
        if (e >= 0) { x0 += xs; e -= dy; }
        e += dx; y0 += ys;
      }
    }
  }

  function edge(x0, y0, x1, y1) {
    return {
      x0, y0, xmin: Math.min(x0, x1), xmax: Math.max(x0, x1),
      ymin: Math.min(y0, y1), ymax: Math.max(y0, y1),
      // dx = (x1 - x0) / (y1 - y0), in float
      dx: y0 === y1 ? 0 : f32((x1 - x0) / (y1 - y0)),
    };
  }
  // x of an edge on row y, in float: (y - y0) * dx + x0
  const edgeX = (e, y) => f32(f32((y - e.y0) * e.dx) + e.x0);

  // Draw.c polygon_generic (8-bit image, no alpha): scan lines between sorted crossings
  function fillPolygon(c, edges) {
    let ymin = c.size - 1, ymax = 0;
    const table = [];
    for (const e of edges) {
      if (ymin > e.ymin) ymin = e.ymin;
      if (ymax < e.ymax) ymax = e.ymax;
      if (e.ymin === e.ymax) { c.hline(e.xmin, e.ymin, e.xmax); continue; }
      table.push(e);
    }
    if (ymin < 0) ymin = 0;
    if (ymax > c.size) ymax = c.size;
    for (; ymin <= ymax; ymin++) {
      const xx = [];
      for (let i = 0; i < table.length; i++) {
        const cur = table[i];
        if (ymin < cur.ymin || ymin > cur.ymax) continue;
        xx.push(edgeX(cur, ymin));
        if (ymin === cur.ymax && ymin < ymax) {
          xx.push(xx[xx.length - 1]);
        } else if ((ymin === cur.ymin || ymin === cur.ymax) && cur.dx !== 0) {
          for (let k = 0; k < i; k++) {
            const other = table[k];
            if ((ymin !== other.ymin && ymin !== other.ymax) || other.dx === 0) continue;
            const last = xx.length - 1;
            if (roundf(xx[last]) === roundf(edgeX(other, ymin))) {
              const offset = ymin === cur.ymax ? -1 : 1;
              const adj = edgeX(cur, ymin + offset);
              if (ymin + offset >= other.ymin && ymin + offset <= other.ymax) {
                const adjOther = edgeX(other, ymin + offset);
                if (xx[last] > f32(adj + 1) && xx[last] > f32(adjOther + 1)) {
                  xx[last] = roundf(Math.max(adj, adjOther)) + 1;
                } else if (xx[last] < f32(adj - 1) && xx[last] < f32(adjOther - 1)) {
                  xx[last] = roundf(Math.min(adj, adjOther)) - 1;
                }
                break;
              }
            }
          }
        }
      }
      xx.sort((a, b) => a - b);
      for (let i = 1; i < xx.length; i += 2) {
        c.hline(roundUpF(xx[i - 1]), ymin, roundDownF(xx[i]));
      }
    }
  }

  // Draw.c ImagingDrawWideLine: the segment as a 4-corner polygon
  function wideLine(c, x0, y0, x1, y1, width) {
    const dx = x1 - x0, dy = y1 - y0;
    if (dx === 0 && dy === 0) { c.point(x0, y0); return; }
    const big = Math.hypot(dx, dy);
    const small = (width - 1) / 2;
    const ratioMax = roundUpD(small) / big, ratioMin = roundDownD(small) / big;
    const dxmin = roundDownD(ratioMin * dy), dxmax = roundDownD(ratioMax * dy);
    const dymin = roundDownD(ratioMin * dx), dymax = roundDownD(ratioMax * dx);
    const v = [[x0 - dxmin, y0 + dymax], [x1 - dxmin, y1 + dymax],
               [x1 + dxmax, y1 - dymin], [x0 + dxmax, y0 - dymin]];
    fillPolygon(c, [0, 1, 2, 3].map((i) => edge(v[i][0], v[i][1], v[(i + 1) % 4][0],
                                                   v[(i + 1) % 4][1])));
  }

  // Draw.c quarter_* and ellipse_*: a filled ellipse as horizontal segments, on a grid of
  // step 2 (Bresenham on a2 y^2 + b2 x^2 = a2 b2)
  function Quarter(a, b) {
    this.finished = a < 0 || b < 0;
    if (this.finished) return;
    this.cx = a; this.cy = b % 2; this.ex = a % 2; this.ey = b;
    this.a2 = a * a; this.b2 = b * b; this.a2b2 = this.a2 * this.b2;
  }
  Quarter.prototype.delta = function (x, y) {
    return Math.abs(this.a2 * y * y + this.b2 * x * x - this.a2b2);
  };
  Quarter.prototype.next = function () {
    if (this.finished) return null;
    const ret = [this.cx, this.cy];
    if (this.cx === this.ex && this.cy === this.ey) {
      this.finished = true;
    } else {
      let nx = this.cx, ny = this.cy + 2;
      let nd = this.delta(nx, ny);
      if (nx > 1) {
        let d = this.delta(this.cx - 2, this.cy + 2);
        if (nd > d) { nx = this.cx - 2; ny = this.cy + 2; nd = d; }
        d = this.delta(this.cx - 2, this.cy);
        if (nd > d) { nx = this.cx - 2; ny = this.cy; }
      }
      this.cx = nx; this.cy = ny;
    }
    return ret;
  };

  function fillEllipse(c, x0, y0, x1, y1) {
    const a = x1 - x0, b = y1 - y0;
    if (a < 0 || b < 0) return;
    const w = a + b;  // filled: the width covers the whole ellipse
    const leftmost = a % 2;
    const outer = new Quarter(a, b);
    let p = outer.next();
    if (w < 1 || p === null) return;
    let pr = p[0], py = p[1], pl = leftmost, finished = false;
    const inner = new Quarter(a - 2 * (w - 1), b - 2 * (w - 1));
    const segment = (X0, Y, X1) => c.hline(x0 + trunc((X0 + a) / 2), y0 + trunc((Y + b) / 2),
                                           x0 + trunc((X1 + a) / 2));
    while (!finished) {
      const y = py, r = pr;
      let l = pl, q;
      while ((q = outer.next()) !== null && q[1] <= y) { /* skip this row */ }
      if (q === null) finished = true; else { pr = q[0]; py = q[1]; }
      while ((q = inner.next()) !== null && q[1] <= y) l = q[0];
      pl = q === null ? leftmost : q[0];
      // the four mirrored segments, in Draw.c's order (drawn in reverse from a stack)
      const buf = [];
      if ((l > 0 || l < r) && y > 0) buf.push([l === 0 ? 2 : l, y, r]);
      if (y > 0) buf.push([-r, y, -l]);
      if (l > 0 || l < r) buf.push([l === 0 ? 2 : l, -y, r]);
      buf.push([-r, -y, -l]);
      for (let i = buf.length - 1; i >= 0; i--) segment(buf[i][0], buf[i][1], buf[i][2]);
    }
  }

  // Resample.c: separable LANCZOS (a = 3) with 22-bit fixed-point coefficients
  const PRECISION_BITS = 22;
  function sinc(x) {
    if (x === 0) return 1;
    x *= Math.PI;
    return Math.sin(x) / x;
  }
  // lanczos(x) = sinc(x) sinc(x / 3) for -3 <= x < 3
  const lanczos = (x) => (-3 <= x && x < 3 ? sinc(x) * sinc(x / 3) : 0);

  function coefficients(inSize, outSize) {
    const scale = inSize / outSize;
    const filterscale = Math.max(scale, 1);
    const support = 3 * filterscale;
    const ksize = Math.ceil(support) * 2 + 1;
    const bounds = new Int32Array(outSize * 2), kk = new Int32Array(outSize * ksize);
    for (let xx = 0; xx < outSize; xx++) {
      const center = (xx + 0.5) * scale;
      const xmin = Math.max(trunc(center - support + 0.5), 0);
      const xmax = Math.min(trunc(center + support + 0.5), inSize) - xmin;
      const k = new Float64Array(xmax);
      let ww = 0;
      for (let x = 0; x < xmax; x++) {
        k[x] = lanczos((x + xmin - center + 0.5) / filterscale);
        ww += k[x];
      }
      for (let x = 0; x < xmax; x++) {
        // normalised to sum 1, then to 22-bit fixed point, rounded away from zero
        const v = (ww !== 0 ? k[x] / ww : k[x]) * (1 << PRECISION_BITS);
        kk[xx * ksize + x] = v < 0 ? trunc(-0.5 + v) : trunc(0.5 + v);
      }
      bounds[2 * xx] = xmin;
      bounds[2 * xx + 1] = xmax;
    }
    return {bounds, kk, ksize};
  }
  // clip8: the fixed-point sum back to 0..255
  const clip8 = (ss) => Math.min(255, Math.max(0, Math.floor(ss / (1 << PRECISION_BITS))));

  // an 8-bit image (w x h, row by row) resized to (outW x outH): horizontal pass, then
  // vertical, each rounded to 8 bits as Pillow does
  function resizeLanczos(src, w, h, outW, outH) {
    let img = src, width = w;
    if (outW !== w) {
      const {bounds, kk, ksize} = coefficients(w, outW);
      const tmp = new Uint8Array(outW * h);
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < outW; xx++) {
          const xmin = bounds[2 * xx], xmax = bounds[2 * xx + 1];
          let ss = 1 << (PRECISION_BITS - 1);
          for (let x = 0; x < xmax; x++) ss += img[y * w + x + xmin] * kk[xx * ksize + x];
          tmp[y * outW + xx] = clip8(ss);
        }
      }
      img = tmp; width = outW;
    }
    if (outH !== h) {
      const {bounds, kk, ksize} = coefficients(h, outH);
      const out = new Uint8Array(width * outH);
      for (let yy = 0; yy < outH; yy++) {
        const ymin = bounds[2 * yy], ymax = bounds[2 * yy + 1];
        for (let x = 0; x < width; x++) {
          let ss = 1 << (PRECISION_BITS - 1);
          for (let y = 0; y < ymax; y++) ss += img[(y + ymin) * width + x] * kk[yy * ksize + y];
          out[yy * width + x] = clip8(ss);
        }
      }
      img = out;
    }
    return img;
  }

  // strokes: [[[x, y], ...], ...] in canvas pixels -> Float32Array(784) in [0, 1], or null
  // if nothing is drawn (explainer.strokes.strokes_to_image)
  function strokesToImage(strokes, canvasSize = 280, penWidth = 18) {
    const c = new Canvas(canvasSize);
    const r = penWidth / 2;
    const width = roundHalfEven(penWidth);
    let inked = false;
    for (const stroke of strokes) {
      if (stroke.length > 1 && width !== 0) {
        for (let i = 0; i + 1 < stroke.length; i++) {
          const [ax, ay] = stroke[i].map(trunc), [bx, by] = stroke[i + 1].map(trunc);
          if (width === 1) line1(c, ax, ay, bx, by); else wideLine(c, ax, ay, bx, by, width);
        }
        if (width === 1) c.point(trunc(stroke[stroke.length - 1][0]),
                                 trunc(stroke[stroke.length - 1][1]));
      }
      for (const [x, y] of stroke) {
        fillEllipse(c, trunc(x - r), trunc(y - r), trunc(x + r), trunc(y + r));
        inked = true;
      }
    }
    if (!inked) return null;
    // the ink's bounding box
    const n = canvasSize;
    let top = n, bottom = -1, left = n, right = -1;
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        if (c.px[y * n + x]) {
          if (y < top) top = y;
          bottom = y;
          if (x < left) left = x;
          if (x > right) right = x;
        }
      }
    }
    if (bottom < 0) return null;
    const ch = bottom - top + 1, cw = right - left + 1;
    const crop = new Uint8Array(ch * cw);
    for (let y = 0; y < ch; y++) crop.set(c.px.subarray((top + y) * n + left, (top + y) * n + left + cw), y * cw);
    // scale the bounding box so that its longer side is 20 pixels
    const scale = 20.0 / Math.max(ch, cw);
    const h = Math.max(1, roundHalfEven(ch * scale)), w = Math.max(1, roundHalfEven(cw * scale));
    const small8 = resizeLanczos(crop, cw, ch, w, h);
    const small = new Float32Array(h * w);
    for (let i = 0; i < h * w; i++) small[i] = f32(small8[i] / 255);
    // centre of mass (r_c, c_c) = sum(p * (r, c)) / sum(p), with float32 sums as numpy's
    // (numpy adds in another order: a centre within about 1e-6 of a half pixel could
    // round the other way)
    let total = 0, rsum = 0, csum = 0;
    const colSums = new Float32Array(w);
    for (let y = 0; y < h; y++) {
      let row = 0;
      for (let x = 0; x < w; x++) {
        row = f32(row + small[y * w + x]);
        colSums[x] = f32(colSums[x] + small[y * w + x]);
      }
      rsum += row * y;
    }
    for (let i = 0; i < h * w; i++) total = f32(total + small[i]);
    for (let x = 0; x < w; x++) csum += colSums[x] * x;
    const rc = rsum / total, cc = csum / total;
    let top28 = roundHalfEven(13.5 - rc), left28 = roundHalfEven(13.5 - cc);
    top28 = Math.min(Math.max(top28, 0), 28 - h);
    left28 = Math.min(Math.max(left28, 0), 28 - w);
    const out = new Float32Array(784);
    for (let y = 0; y < h; y++) out.set(small.subarray(y * w, (y + 1) * w), (top28 + y) * 28 + left28);
    return out;
  }

  window.vaeForward = Object.assign(window.vaeForward || {}, {strokesToImage});
})();
