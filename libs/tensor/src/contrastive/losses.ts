import * as tf from '@tensorflow/tfjs';

/** Rows scaled to unit length (cosine similarity becomes a dot product). */
export function unitRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12))) as tf.Tensor2D);
}

/** A diagonal this large and negative removes a logit from its softmax. */
const EXCLUDED = 1e9;

/**
 * SimCLR's NT-Xent loss (Chen et al. 2020, eq. 1): for 2N projections of N images in two views, each
 * view's positive is the other view of its image, and its negatives the other 2N - 2 views; cosine
 * similarities over `temperature`, cross-entropy averaged over all 2N views.
 */
export function ntXentLoss(z1: tf.Tensor2D, z2: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const n = z1.shape[0];
    const z = tf.concat([unitRows(z1), unitRows(z2)], 0);
    const similarity = tf.div(tf.matMul(z, z, false, true), temperature);
    const logits = tf.sub(similarity, tf.mul(tf.eye(2 * n), EXCLUDED));
    const positives = tf.concat([tf.range(n, 2 * n, 1, 'int32'), tf.range(0, n, 1, 'int32')]) as tf.Tensor1D;
    return tf.losses.softmaxCrossEntropy(tf.oneHot(positives, 2 * n), logits) as tf.Scalar;
  });
}

/**
 * MoCo's InfoNCE loss (He et al. 2020, eq. 1): each query's positive is its key (the other view through
 * the momentum encoder, no gradient), its negatives the queue of earlier keys; over `temperature`.
 * `keys` and `queue` rows are unit length.
 */
export function queueInfoNceLoss(
  queries: tf.Tensor2D,
  keys: tf.Tensor2D,
  queue: tf.Tensor2D,
  temperature: number,
): tf.Scalar {
  return tf.tidy(() => {
    const q = unitRows(queries);
    const positive = tf.sum(tf.mul(q, keys), 1, true);
    const negative = tf.matMul(q, queue, false, true);
    const logits = tf.div(tf.concat([positive, negative], 1), temperature);
    const first = tf.oneHot(tf.zeros([q.shape[0]], 'int32') as tf.Tensor1D, queue.shape[0] + 1);
    return tf.losses.softmaxCrossEntropy(first, logits) as tf.Scalar;
  });
}
