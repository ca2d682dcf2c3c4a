// NaN-propagating activations: appended to the fused cells (ops/recurrence.ts cellSource) and the elementwise
// kernels (core/fill.ts). WGSL leaves clamp, min and max of a NaN to the implementation (SwiftShader returns
// the bound), so a clamp before tanh or exp would turn a NaN into a finite value on some GPUs and keep it on
// others. These pass a NaN through, tested with integer bit operations that no compiler may assume away, so
// it reaches the loss check the same way everywhere.

fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

// Clamped first: some drivers compute tanh through exp and return NaN for |x| > ~44.
fn safe_tanh(x: f32) -> f32 {
  return select(tanh(clamp(x, -15.0, 15.0)), x, is_nan(x));
}

// Clamped so exp cannot overflow on drivers that return NaN rather than inf.
fn safe_sigmoid(x: f32) -> f32 {
  return select(1.0 / (1.0 + exp(-clamp(x, -30.0, 30.0))), x, is_nan(x));
}

fn safe_relu(x: f32) -> f32 {
  return select(max(x, 0.0), x, is_nan(x));
}
