// A one-layer Llama-style decoder (dim 64, 4 query heads, 2 KV heads of 16,
// SwiGLU FFN of 128, vocabulary 256) in the xf dialect. Attention and FFN
// are already fused, as the fusion passes leave them. Weights are symbols in
// the weight store: the IR holds no weight data.
//
//   xfc-opt examples/llama-block.mlir -xf-decompose-fused -xf-graph-cleanup

xf.global_weight private @token_embd.weight : tensor<256x64xf32>
xf.global_weight private @blk.0.attn_norm.weight : tensor<64xf32>
xf.global_weight private @blk.0.attn_q.weight : tensor<64x64xf32>
xf.global_weight private @blk.0.attn_k.weight : tensor<32x64xf32>
xf.global_weight private @blk.0.attn_v.weight : tensor<32x64xf32>
xf.global_weight private @blk.0.attn_output.weight : tensor<64x64xf32>
xf.global_weight private @blk.0.ffn_norm.weight : tensor<64xf32>
xf.global_weight private @blk.0.ffn_gate.weight : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
xf.global_weight private @blk.0.ffn_up.weight : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
xf.global_weight private @blk.0.ffn_down.weight : !xf.qtensor<64x128xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
xf.global_weight private @output_norm.weight : tensor<64xf32>
xf.global_weight private @output.weight : tensor<256x64xf32>

// Runs `tokens` new tokens starting at cache position `pos` and returns the
// logits of each.
func.func @forward(%tokens: tensor<?xi32>, %positions: tensor<?xi32>,
                   %pos: index, %cache: !xf.kv_cache<512x2x16xf16>)
    -> tensor<?x256xf32> {
  %emb = xf.weight @token_embd.weight : tensor<256x64xf32>
  %x = xf.embedding %emb[%tokens] : (tensor<256x64xf32>, tensor<?xi32>) -> tensor<?x64xf32>

  // Attention.
  %g1 = xf.weight @blk.0.attn_norm.weight : tensor<64xf32>
  %h = xf.rms_norm %x, %g1 eps = 1.0e-5 : tensor<?x64xf32>, tensor<64xf32>
  %wq = xf.weight @blk.0.attn_q.weight : tensor<64x64xf32>
  %wk = xf.weight @blk.0.attn_k.weight : tensor<32x64xf32>
  %wv = xf.weight @blk.0.attn_v.weight : tensor<32x64xf32>
  %q = xf.linear %h, %wq : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %k = xf.linear %h, %wk : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %v = xf.linear %h, %wv : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %q3 = xf.reshape %q : tensor<?x64xf32> -> tensor<?x4x16xf32>
  %k3 = xf.reshape %k : tensor<?x32xf32> -> tensor<?x2x16xf32>
  %v3 = xf.reshape %v : tensor<?x32xf32> -> tensor<?x2x16xf32>
  %qr = xf.rope interleaved %q3, %positions theta = 10000.0 : tensor<?x4x16xf32>, tensor<?xi32>
  %kr = xf.rope interleaved %k3, %positions theta = 10000.0 : tensor<?x2x16xf32>, tensor<?xi32>
  %att = xf.attention %qr, %kr, %v3 cache %cache at %pos causal
      : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>,
        !xf.kv_cache<512x2x16xf16> -> tensor<?x4x16xf32>
  %att2 = xf.reshape %att : tensor<?x4x16xf32> -> tensor<?x64xf32>
  %wo = xf.weight @blk.0.attn_output.weight : tensor<64x64xf32>
  %o = xf.linear %att2, %wo : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %x1 = xf.add %x, %o : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>

  // Feed-forward, with 4-bit weights.
  %g2 = xf.weight @blk.0.ffn_norm.weight : tensor<64xf32>
  %h2 = xf.rms_norm %x1, %g2 eps = 1.0e-5 : tensor<?x64xf32>, tensor<64xf32>
  %wg = xf.weight @blk.0.ffn_gate.weight : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
  %wu = xf.weight @blk.0.ffn_up.weight : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
  %wd = xf.weight @blk.0.ffn_down.weight : !xf.qtensor<64x128xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
  %f = xf.ffn swiglu %h2 up %wu gate %wg down %wd
      : (tensor<?x64xf32>, !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>,
         !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>,
         !xf.qtensor<64x128xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>) -> tensor<?x64xf32>
  %x2 = xf.add %x1, %f : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>

  // Head.
  %g3 = xf.weight @output_norm.weight : tensor<64xf32>
  %hn = xf.rms_norm %x2, %g3 eps = 1.0e-5 : tensor<?x64xf32>, tensor<64xf32>
  %wout = xf.weight @output.weight : tensor<256x64xf32>
  %logits = xf.linear %hn, %wout : (tensor<?x64xf32>, tensor<256x64xf32>) -> tensor<?x256xf32>
  return %logits : tensor<?x256xf32>
}
