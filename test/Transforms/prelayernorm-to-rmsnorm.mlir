// RUN: xfc-opt %s -split-input-file -xf-prelayernorm-to-rmsnorm -verify-diagnostics | FileCheck %s

// A Pre-LN model in one function: token and position embeddings, an
// attention-like sublayer (QKV projection, output projection with a bias),
// an MLP with biases, a final LayerNorm and a head tied to the token table.
// Writers into the stream are centered along the hidden dimension, each
// LayerNorm becomes an RMSNorm with unit scale, and gamma/beta fold into
// the projections that read it.

// CHECK-LABEL: func.func @pre_ln
// CHECK-SAME: (%[[IDS:[^:]*]]: tensor<?xi32>, %[[POS:[^:]*]]: tensor<?xi32>, %[[TAB:[^:]*]]: tensor<16x8xf32>, %[[PTAB:[^:]*]]: tensor<12x8xf32>,
// CHECK-SAME: %[[G1:[^:]*]]: tensor<8xf32>, %[[B1:[^:]*]]: tensor<8xf32>, %[[WQKV:[^:]*]]: tensor<24x8xf32>, %[[BQKV:[^:]*]]: tensor<24xf32>,
// CHECK-SAME: %[[WO:[^:]*]]: tensor<8x24xf32>, %[[BO:[^:]*]]: tensor<8xf32>, %[[G2:[^:]*]]: tensor<8xf32>, %[[B2:[^:]*]]: tensor<8xf32>,
// CHECK-SAME: %[[WU:[^:]*]]: tensor<32x8xf32>, %[[BU:[^:]*]]: tensor<32xf32>, %[[WD:[^:]*]]: tensor<8x32xf32>, %[[BD:[^:]*]]: tensor<8xf32>,
// CHECK-SAME: %[[GF:[^:]*]]: tensor<8xf32>, %[[BF:[^:]*]]: tensor<8xf32>)
// Embedding rows are centered: table - mean(table, 1).
// CHECK-NEXT: %[[TM:.*]] = xf.reduce_mean %[[TAB]][1] : tensor<16x8xf32> -> tensor<16x1xf32>
// CHECK-NEXT: %[[TC:.*]] = xf.sub %[[TAB]], %[[TM]] : (tensor<16x8xf32>, tensor<16x1xf32>) -> tensor<16x8xf32>
// CHECK-NEXT: %[[E:.*]] = xf.embedding %[[TC]][%[[IDS]]]
// CHECK-NEXT: %[[PM:.*]] = xf.reduce_mean %[[PTAB]][1] : tensor<12x8xf32> -> tensor<12x1xf32>
// CHECK-NEXT: %[[PC:.*]] = xf.sub %[[PTAB]], %[[PM]]
// CHECK-NEXT: %[[P:.*]] = xf.embedding %[[PC]][%[[POS]]]
// CHECK-NEXT: %[[X0:.*]] = xf.add %[[E]], %[[P]]
// CHECK-NEXT: %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<8xf32>
// CHECK-NEXT: %[[N1:.*]] = xf.rms_norm %[[X0]], %[[ONE]] eps = 9.99999974E-6
// QKV reads the norm: weight * gamma1, bias + weight beta1.
// CHECK-NEXT: %[[WQKV2:.*]] = xf.mul %[[WQKV]], %[[G1]] : (tensor<24x8xf32>, tensor<8xf32>) -> tensor<24x8xf32>
// CHECK-NEXT: %[[BQKV2:.*]] = xf.linear %[[B1]], %[[WQKV]], %[[BQKV]] : (tensor<8xf32>, tensor<24x8xf32>, tensor<24xf32>) -> tensor<24xf32>
// CHECK-NEXT: %[[QKV:.*]] = xf.linear %[[N1]], %[[WQKV2]], %[[BQKV2]]
// CHECK-NEXT: %[[A:.*]] = xf.gelu tanh %[[QKV]]
// The output projection writes the stream: weight and bias centered along
// the output dimension.
// CHECK-NEXT: %[[WOM:.*]] = xf.reduce_mean %[[WO]][0] : tensor<8x24xf32> -> tensor<1x24xf32>
// CHECK-NEXT: %[[WOC:.*]] = xf.sub %[[WO]], %[[WOM]] : (tensor<8x24xf32>, tensor<1x24xf32>) -> tensor<8x24xf32>
// CHECK-NEXT: %[[BOM:.*]] = xf.reduce_mean %[[BO]][0] : tensor<8xf32> -> tensor<1xf32>
// CHECK-NEXT: %[[BOC:.*]] = xf.sub %[[BO]], %[[BOM]] : (tensor<8xf32>, tensor<1xf32>) -> tensor<8xf32>
// CHECK-NEXT: %[[O:.*]] = xf.linear %[[A]], %[[WOC]], %[[BOC]]
// CHECK-NEXT: %[[X1:.*]] = xf.add %[[X0]], %[[O]]
// CHECK-NEXT: %[[ONE2:.*]] = arith.constant dense<1.000000e+00>
// CHECK-NEXT: %[[N2:.*]] = xf.rms_norm %[[X1]], %[[ONE2]]
// CHECK-NEXT: %[[WU2:.*]] = xf.mul %[[WU]], %[[G2]]
// CHECK-NEXT: %[[BU2:.*]] = xf.linear %[[B2]], %[[WU]], %[[BU]]
// CHECK-NEXT: %[[U:.*]] = xf.linear %[[N2]], %[[WU2]], %[[BU2]]
// CHECK-NEXT: %[[H:.*]] = xf.gelu tanh %[[U]]
// CHECK-NEXT: %[[WDM:.*]] = xf.reduce_mean %[[WD]][0]
// CHECK-NEXT: %[[WDC:.*]] = xf.sub %[[WD]], %[[WDM]]
// CHECK-NEXT: %[[BDM:.*]] = xf.reduce_mean %[[BD]][0]
// CHECK-NEXT: %[[BDC:.*]] = xf.sub %[[BD]], %[[BDM]]
// CHECK-NEXT: %[[D:.*]] = xf.linear %[[H]], %[[WDC]], %[[BDC]]
// CHECK-NEXT: %[[X2:.*]] = xf.add %[[X1]], %[[D]]
// CHECK-NEXT: %[[ONE3:.*]] = arith.constant dense<1.000000e+00>
// CHECK-NEXT: %[[NF:.*]] = xf.rms_norm %[[X2]], %[[ONE3]]
// The tied head scales the original table, not the centered one, and
// gets a bias.
// CHECK-NEXT: %[[HEAD:.*]] = xf.mul %[[TAB]], %[[GF]] : (tensor<16x8xf32>, tensor<8xf32>) -> tensor<16x8xf32>
// CHECK-NEXT: %[[HB:.*]] = xf.linear %[[BF]], %[[TAB]] : (tensor<8xf32>, tensor<16x8xf32>) -> tensor<16xf32>
// CHECK-NEXT: %[[Y:.*]] = xf.linear %[[NF]], %[[HEAD]], %[[HB]] : (tensor<?x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<?x16xf32>
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT: xf.layer_norm
func.func @pre_ln(%ids: tensor<?xi32>, %pos: tensor<?xi32>,
    %tab: tensor<16x8xf32>, %ptab: tensor<12x8xf32>,
    %g1: tensor<8xf32>, %b1: tensor<8xf32>,
    %wqkv: tensor<24x8xf32>, %bqkv: tensor<24xf32>,
    %wo: tensor<8x24xf32>, %bo: tensor<8xf32>,
    %g2: tensor<8xf32>, %b2: tensor<8xf32>,
    %wu: tensor<32x8xf32>, %bu: tensor<32xf32>,
    %wd: tensor<8x32xf32>, %bd: tensor<8xf32>,
    %gf: tensor<8xf32>, %bf: tensor<8xf32>) -> tensor<?x16xf32> {
  %e = xf.embedding %tab[%ids] : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  %p = xf.embedding %ptab[%pos] : (tensor<12x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  %x0 = xf.add %e, %p : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %n1 = xf.layer_norm %x0, %g1, %b1 eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>
  %qkv = xf.linear %n1, %wqkv, %bqkv : (tensor<?x8xf32>, tensor<24x8xf32>, tensor<24xf32>) -> tensor<?x24xf32>
  %a = xf.gelu tanh %qkv : tensor<?x24xf32>
  %o = xf.linear %a, %wo, %bo : (tensor<?x24xf32>, tensor<8x24xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %x1 = xf.add %x0, %o : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %n2 = xf.layer_norm %x1, %g2, %b2 eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>
  %u = xf.linear %n2, %wu, %bu : (tensor<?x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  %h = xf.gelu tanh %u : tensor<?x32xf32>
  %d = xf.linear %h, %wd, %bd : (tensor<?x32xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %x2 = xf.add %x1, %d : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %nf = xf.layer_norm %x2, %gf, %bf eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>
  %logits = xf.linear %nf, %tab : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  return %logits : tensor<?x16xf32>
}

// -----

// The importer's form, after xf-fuse-ffn: a shared layer function called
// once per layer, with the stream as its first argument and its result and
// the weights as arguments. The function is rewritten once for both calls;
// the MLP is an xf.ffn gelu, whose up projection takes gamma and beta and
// whose down projection is centered.

// CHECK-LABEL: func.func private @layer
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x8xf32>, %[[G1:[^:]*]]: tensor<8xf32>, %[[B1:[^:]*]]: tensor<8xf32>, %[[WQKV:[^:]*]]: tensor<24x8xf32>,
// CHECK-SAME: %[[WO:[^:]*]]: tensor<8x24xf32>, %[[BO:[^:]*]]: tensor<8xf32>, %[[G2:[^:]*]]: tensor<8xf32>, %[[B2:[^:]*]]: tensor<8xf32>,
// CHECK-SAME: %[[WU:[^:]*]]: tensor<32x8xf32>, %[[BU:[^:]*]]: tensor<32xf32>, %[[WD:[^:]*]]: tensor<8x32xf32>, %[[BD:[^:]*]]: tensor<8xf32>)
// CHECK-NEXT: %[[ONE:.*]] = arith.constant dense<1.000000e+00>
// CHECK-NEXT: %[[N1:.*]] = xf.rms_norm %[[X]], %[[ONE]]
// A projection without a bias gets one.
// CHECK-NEXT: %[[WQKV2:.*]] = xf.mul %[[WQKV]], %[[G1]]
// CHECK-NEXT: %[[BQKV:.*]] = xf.linear %[[B1]], %[[WQKV]] : (tensor<8xf32>, tensor<24x8xf32>) -> tensor<24xf32>
// CHECK-NEXT: xf.linear %[[N1]], %[[WQKV2]], %[[BQKV]]
// CHECK: %[[WOC:.*]] = xf.sub %[[WO]], %{{.*}} : (tensor<8x24xf32>, tensor<1x24xf32>)
// CHECK: %[[BOC:.*]] = xf.sub %[[BO]], %{{.*}} : (tensor<8xf32>, tensor<1xf32>)
// CHECK-NEXT: %[[O:.*]] = xf.linear %{{.*}}, %[[WOC]], %[[BOC]]
// CHECK-NEXT: %[[X1:.*]] = xf.add %[[X]], %[[O]]
// CHECK: %[[N2:.*]] = xf.rms_norm %[[X1]]
// CHECK: %[[WDC:.*]] = xf.sub %[[WD]], %{{.*}} : (tensor<8x32xf32>, tensor<1x32xf32>)
// CHECK: %[[BDC:.*]] = xf.sub %[[BD]], %{{.*}} : (tensor<8xf32>, tensor<1xf32>)
// CHECK-NEXT: %[[WU2:.*]] = xf.mul %[[WU]], %[[G2]]
// CHECK-NEXT: %[[BU2:.*]] = xf.linear %[[B2]], %[[WU]], %[[BU]]
// CHECK-NEXT: %[[F:.*]] = xf.ffn gelu %[[N2]] up %[[WU2]] down %[[WDC]] up_bias %[[BU2]] down_bias %[[BDC]]
// CHECK-NEXT: %[[X2:.*]] = xf.add %[[X1]], %[[F]]
// CHECK-NEXT: return %[[X2]]
// CHECK-LABEL: func.func @forward
// CHECK-NEXT: %[[TAB:.*]] = xf.weight @tok
// CHECK-NEXT: %[[TM:.*]] = xf.reduce_mean %[[TAB]][1]
// CHECK-NEXT: %[[TC:.*]] = xf.sub %[[TAB]], %[[TM]]
// CHECK-NEXT: %[[E:.*]] = xf.embedding %[[TC]]
// CHECK: %[[H1:.*]] = call @layer(%[[E]],
// CHECK-NEXT: %[[H2:.*]] = call @layer(%[[H1]],
// CHECK: %[[GF:.*]] = xf.weight @gf
// CHECK-NEXT: %[[BF:.*]] = xf.weight @bf
// CHECK: %[[NF:.*]] = xf.rms_norm %[[H2]]
// CHECK-NEXT: %[[HEAD:.*]] = xf.mul %[[TAB]], %[[GF]]
// CHECK-NEXT: %[[HB:.*]] = xf.linear %[[BF]], %[[TAB]]
// CHECK-NEXT: xf.linear %[[NF]], %[[HEAD]], %[[HB]]
// CHECK-NOT: xf.layer_norm
func.func private @layer(%x: tensor<?x8xf32>, %g1: tensor<8xf32>, %b1: tensor<8xf32>,
    %wqkv: tensor<24x8xf32>, %wo: tensor<8x24xf32>, %bo: tensor<8xf32>,
    %g2: tensor<8xf32>, %b2: tensor<8xf32>, %wu: tensor<32x8xf32>,
    %bu: tensor<32xf32>, %wd: tensor<8x32xf32>, %bd: tensor<8xf32>) -> tensor<?x8xf32> {
  %n1 = xf.layer_norm %x, %g1, %b1 eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>
  %qkv = xf.linear %n1, %wqkv : (tensor<?x8xf32>, tensor<24x8xf32>) -> tensor<?x24xf32>
  %a = xf.gelu tanh %qkv : tensor<?x24xf32>
  %o = xf.linear %a, %wo, %bo : (tensor<?x24xf32>, tensor<8x24xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %x1 = xf.add %x, %o : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %n2 = xf.layer_norm %x1, %g2, %b2 eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>
  %f = xf.ffn gelu %n2 up %wu down %wd up_bias %bu down_bias %bd : (tensor<?x8xf32>, tensor<32x8xf32>, tensor<8x32xf32>, tensor<32xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %x2 = xf.add %x1, %f : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %x2 : tensor<?x8xf32>
}
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x16xf32> {
  %tab = xf.weight @tok : tensor<16x8xf32>
  %e = xf.embedding %tab[%ids] : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  %g1 = xf.weight @g1 : tensor<8xf32>
  %b1 = xf.weight @b1 : tensor<8xf32>
  %wqkv = xf.weight @wqkv : tensor<24x8xf32>
  %wo = xf.weight @wo : tensor<8x24xf32>
  %bo = xf.weight @bo : tensor<8xf32>
  %g2 = xf.weight @g2 : tensor<8xf32>
  %b2 = xf.weight @b2 : tensor<8xf32>
  %wu = xf.weight @wu : tensor<32x8xf32>
  %bu = xf.weight @bu : tensor<32xf32>
  %wd = xf.weight @wd : tensor<8x32xf32>
  %bd = xf.weight @bd : tensor<8xf32>
  %h1 = call @layer(%e, %g1, %b1, %wqkv, %wo, %bo, %g2, %b2, %wu, %bu, %wd, %bd) : (tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<24x8xf32>, tensor<8x24xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<32x8xf32>, tensor<32xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %h2 = call @layer(%h1, %g1, %b1, %wqkv, %wo, %bo, %g2, %b2, %wu, %bu, %wd, %bd) : (tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<24x8xf32>, tensor<8x24xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<32x8xf32>, tensor<32xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %gf = xf.weight @gf : tensor<8xf32>
  %bf = xf.weight @bf : tensor<8xf32>
  %nf = xf.layer_norm %h2, %gf, %bf eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>
  %logits = xf.linear %nf, %tab : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  return %logits : tensor<?x16xf32>
}
xf.global_weight private @tok : tensor<16x8xf32>
xf.global_weight private @g1 : tensor<8xf32>
xf.global_weight private @b1 : tensor<8xf32>
xf.global_weight private @wqkv : tensor<24x8xf32>
xf.global_weight private @wo : tensor<8x24xf32>
xf.global_weight private @bo : tensor<8xf32>
xf.global_weight private @g2 : tensor<8xf32>
xf.global_weight private @b2 : tensor<8xf32>
xf.global_weight private @wu : tensor<32x8xf32>
xf.global_weight private @bu : tensor<32xf32>
xf.global_weight private @wd : tensor<8x32xf32>
xf.global_weight private @bd : tensor<8xf32>
xf.global_weight private @gf : tensor<8xf32>
xf.global_weight private @bf : tensor<8xf32>

// -----

// f16 projections read f32 LayerNorm parameters: beta folds (the new bias
// is f32), gamma stays the RMSNorm's scale, since rounding it into f16
// weights would lose precision. The centered f16 writers stay f16.

// CHECK-LABEL: func.func @narrow_weights
// CHECK-SAME: (%{{[^:]*}}: tensor<?xi32>, %[[TAB:[^:]*]]: tensor<16x8xf16>, %[[G:[^:]*]]: tensor<8xf32>, %[[B:[^:]*]]: tensor<8xf32>, %[[WU:[^:]*]]: tensor<32x8xf16>, %[[WD:[^:]*]]: tensor<8x32xf16>)
// CHECK: xf.reduce_mean %[[TAB]][1] : tensor<16x8xf16> -> tensor<16x1xf16>
// CHECK: %[[N:.*]] = xf.rms_norm %{{.*}}, %[[G]] eps
// CHECK-NEXT: %[[BU:.*]] = xf.linear %[[B]], %[[WU]] : (tensor<8xf32>, tensor<32x8xf16>) -> tensor<32xf32>
// CHECK-NEXT: xf.linear %[[N]], %[[WU]], %[[BU]]
// CHECK: xf.reduce_mean %[[WD]][0] : tensor<8x32xf16> -> tensor<1x32xf16>
// CHECK-NOT: xf.mul
// CHECK-NOT: xf.convert
// CHECK: return
func.func @narrow_weights(%ids: tensor<?xi32>, %tab: tensor<16x8xf16>,
    %g: tensor<8xf32>, %b: tensor<8xf32>, %wu: tensor<32x8xf16>,
    %wd: tensor<8x32xf16>) -> tensor<?x8xf32> {
  %e = xf.embedding %tab[%ids] : (tensor<16x8xf16>, tensor<?xi32>) -> tensor<?x8xf32>
  %n = xf.layer_norm %e, %g, %b eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>
  %u = xf.linear %n, %wu : (tensor<?x8xf32>, tensor<32x8xf16>) -> tensor<?x32xf32>
  %h = xf.gelu tanh %u : tensor<?x32xf32>
  %d = xf.linear %h, %wd : (tensor<?x32xf32>, tensor<8x32xf16>) -> tensor<?x8xf32>
  %x = xf.add %e, %d : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %nf = xf.layer_norm %x, %g, %b eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>
  %y = xf.linear %nf, %wu : (tensor<?x8xf32>, tensor<32x8xf16>) -> tensor<?x32xf32>
  %z = xf.gelu tanh %y : tensor<?x32xf32>
  %out = xf.linear %z, %wd : (tensor<?x32xf32>, tensor<8x32xf16>) -> tensor<?x8xf32>
  return %out : tensor<?x8xf32>
}

// -----

// Post-LN (the original Transformer, BERT): the stream is a LayerNorm's
// result, and the sublayers read it directly.

// CHECK-LABEL: func.func @post_ln
// CHECK-COUNT-2: xf.layer_norm
// CHECK-NOT: xf.rms_norm
// CHECK-NOT: xf.sub
func.func @post_ln(%ids: tensor<?xi32>, %tab: tensor<16x8xf32>, %w: tensor<8x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %e = xf.embedding %tab[%ids] : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  // expected-remark @below {{not rewritten to RMSNorm: the residual stream is read by 'xf.linear', which would see its mean change}}
  %y = xf.linear %e, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %s = xf.add %e, %y : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  // expected-remark @below {{not rewritten to RMSNorm: the residual stream is a normalization's result (a Post-LN block), whose mean cannot change}}
  %n = xf.layer_norm %s, %g, %b eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>
  %y2 = xf.linear %n, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %s2 = xf.add %n, %y2 : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %n2 = xf.layer_norm %s2, %g, %b eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>
  return %n2 : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @rms_norm_model
// CHECK-NOT: xf.reduce_mean
func.func @rms_norm_model(%ids: tensor<?xi32>, %tab: tensor<16x8xf32>, %g: tensor<8xf32>, %w: tensor<16x8xf32>) -> tensor<?x16xf32> {
  %e = xf.embedding %tab[%ids] : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  // expected-remark @below {{not rewritten to RMSNorm: the model has no LayerNorm (it normalizes with RMSNorm already)}}
  %n = xf.rms_norm %e, %g eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>
  %y = xf.linear %n, %w : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Something besides LayerNorms and residual adds reads the stream.

// CHECK-LABEL: func.func @extra_reader
// CHECK: xf.layer_norm
// CHECK-NOT: xf.rms_norm
func.func @extra_reader(%ids: tensor<?xi32>, %tab: tensor<16x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>, %w: tensor<16x8xf32>) -> (tensor<?x16xf32>, tensor<?x8xf32>) {
  %e = xf.embedding %tab[%ids] : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  %n = xf.layer_norm %e, %g, %b eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>
  %y = xf.linear %n, %w : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  // expected-remark @below {{not rewritten to RMSNorm: the residual stream is read by 'xf.silu', which would see its mean change}}
  %s = xf.silu %e : tensor<?x8xf32>
  return %y, %s : tensor<?x16xf32>, tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @norm_read_by_activation
// CHECK: xf.layer_norm
// CHECK-NOT: xf.sub
func.func @norm_read_by_activation(%ids: tensor<?xi32>, %tab: tensor<16x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %e = xf.embedding %tab[%ids] : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  %n = xf.layer_norm %e, %g, %b eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>
  // expected-remark @below {{not rewritten to RMSNorm: the LayerNorm's result is read by 'xf.gelu', which is not a projection its scale and bias can fold into}}
  %s = xf.gelu tanh %n : tensor<?x8xf32>
  return %s : tensor<?x8xf32>
}

// -----

// A gated FFN has no bias on its gate to take beta.

// CHECK-LABEL: func.func @gated_ffn
// CHECK-COUNT-2: xf.layer_norm
// CHECK-NOT: xf.sub
func.func @gated_ffn(%ids: tensor<?xi32>, %tab: tensor<16x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>, %gu: tensor<64x8xf32>, %wd: tensor<8x32xf32>, %w: tensor<16x8xf32>) -> tensor<?x16xf32> {
  %e = xf.embedding %tab[%ids] : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  %n = xf.layer_norm %e, %g, %b eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>
  // expected-remark @below {{not rewritten to RMSNorm: xf.ffn swiglu has no gate bias to fold the LayerNorm's bias into}}
  %f = xf.ffn swiglu %n gate_up %gu down %wd : (tensor<?x8xf32>, tensor<64x8xf32>, tensor<8x32xf32>) -> tensor<?x8xf32>
  %x = xf.add %e, %f : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %nf = xf.layer_norm %x, %g, %b eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>
  %y = xf.linear %nf, %w : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// A quantized table cannot be centered without storing it expanded.

// CHECK-LABEL: func.func @quantized_writer
// CHECK: xf.layer_norm
func.func @quantized_writer(%ids: tensor<?xi32>, %tab: !xf.qtensor<16x32xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>>, %g: tensor<32xf32>, %b: tensor<32xf32>, %w: tensor<16x32xf32>) -> tensor<?x16xf32> {
  // expected-remark @below {{not rewritten to RMSNorm: the embedding table is quantized and cannot be centered}}
  %e = xf.embedding %tab[%ids] : (!xf.qtensor<16x32xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>>, tensor<?xi32>) -> tensor<?x32xf32>
  %n = xf.layer_norm %e, %g, %b eps = 1.0e-05 : tensor<?x32xf32>, tensor<32xf32>, tensor<32xf32>
  %y = xf.linear %n, %w : (tensor<?x32xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// The stream comes in from outside, as a public function's argument.

// CHECK-LABEL: func.func @stream_argument
// CHECK: xf.layer_norm
// expected-remark @below {{not rewritten to RMSNorm: the residual stream enters as argument #0 of a function whose callers are not all known}}
func.func @stream_argument(%x: tensor<?x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>, %w: tensor<16x8xf32>) -> tensor<?x16xf32> {
  %n = xf.layer_norm %x, %g, %b eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>
  %y = xf.linear %n, %w : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// The stream goes out of a public function.

// CHECK-LABEL: func.func @stream_result
// CHECK: xf.layer_norm
func.func @stream_result(%ids: tensor<?xi32>, %tab: tensor<16x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>, %w: tensor<16x8xf32>) -> (tensor<?x16xf32>, tensor<?x8xf32>) {
  %e = xf.embedding %tab[%ids] : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  %n = xf.layer_norm %e, %g, %b eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>
  %y = xf.linear %n, %w : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  // expected-remark @below {{not rewritten to RMSNorm: the residual stream is returned from @stream_result, whose callers are not all known}}
  return %y, %e : tensor<?x16xf32>, tensor<?x8xf32>
}

// -----

// The shared layer function gets the stream at one call and something else
// at another, so its rewrite would not serve both.

// CHECK-LABEL: func.func private @block
// CHECK: xf.layer_norm
// CHECK-LABEL: func.func @mixed_callers
// CHECK: xf.layer_norm
// CHECK-NOT: xf.sub
func.func private @block(%x: tensor<?x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>, %w: tensor<8x8xf32>) -> tensor<?x8xf32> {
  %n = xf.layer_norm %x, %g, %b eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>
  %y = xf.linear %n, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %s = xf.add %x, %y : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %s : tensor<?x8xf32>
}
func.func @mixed_callers(%ids: tensor<?xi32>, %other: tensor<?x8xf32>, %tab: tensor<16x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>, %w: tensor<8x8xf32>, %head: tensor<16x8xf32>) -> tensor<?x16xf32> {
  %e = xf.embedding %tab[%ids] : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  %h = call @block(%e, %g, %b, %w) : (tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  // expected-remark @below {{not rewritten to RMSNorm: the residual stream is written by 'xf.silu', not by an embedding, a projection or a residual add}}
  %a = xf.silu %other : tensor<?x8xf32>
  %k = call @block(%a, %g, %b, %w) : (tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %s = xf.add %h, %k : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %nf = xf.layer_norm %s, %g, %b eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>
  %y = xf.linear %nf, %head : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// A residual add that broadcasts (a bias added on its own) is not a sum of
// per-token writers.

// CHECK-LABEL: func.func @broadcast_add
// CHECK: xf.layer_norm
func.func @broadcast_add(%ids: tensor<?xi32>, %tab: tensor<16x8xf32>, %bias: tensor<8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>, %w: tensor<16x8xf32>) -> tensor<?x16xf32> {
  %e = xf.embedding %tab[%ids] : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  // expected-remark @below {{not rewritten to RMSNorm: the residual add broadcasts an operand}}
  %x = xf.add %e, %bias : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %n = xf.layer_norm %x, %g, %b eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>
  %y = xf.linear %n, %w : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
