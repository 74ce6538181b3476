import * as tf from '@tensorflow/tfjs';
import {
  float32Attr,
  tensorflowKernelBackend,
  type LayerCall,
  type NodeJSKernelBackend,
  type OpAttr,
} from './tensorflow-kernel-backend';

/**
 * A dense layer on native TensorFlow as three TensorFlow ops forward (`MatMul`, `BiasAdd`, `Relu`)
 * and at most four backward (`ReluGrad`, `MatMul` for the input and for the kernel, `BiasAddGrad`),
 * each computed only when something asks for it: a first layer never computes its input's gradient.
 * tfjs's fused matMul reshapes every operand to 3-D and back (each reshape a shape tensor and an op)
 * and composes the bias and activation gradients, some twenty-five kernel calls per layer; on a
 * small MLP the per-op round trips, not the arithmetic, are the training step. Other backends keep
 * tfjs-layers' own path; the numbers agree within float32 rounding (tensorflow-dense.test.ts).
 */
const KERNEL = 'LthDense';

type Activation = 'relu' | 'linear';

/** TensorFlow's 2-D MatMul; `T.` transposes the first operand, `.T` the second. */
function matMul(b: NodeJSKernelBackend, x: tf.TensorInfo, y: tf.TensorInfo, transpose: '' | 'T.' | '.T') {
  const attrs = [
    float32Attr(b),
    { name: 'transpose_a', type: b.binding.TF_ATTR_BOOL, value: transpose === 'T.' },
    { name: 'transpose_b', type: b.binding.TF_ATTR_BOOL, value: transpose === '.T' },
  ];
  return b.executeSingleOutput('MatMul', attrs, [x as tf.Tensor, y as tf.Tensor]);
}

const biasAttrs = (b: NodeJSKernelBackend): OpAttr[] => [
  float32Attr(b),
  { name: 'data_format', type: b.binding.TF_ATTR_STRING, value: 'NHWC' },
];

/** Registers the kernel and its gradient (once, when the tensorflow backend loads). */
export function registerTensorflowDense(): void {
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: 'tensorflow',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as NodeJSKernelBackend;
      const { x, kernel, bias } = inputs as { x: tf.TensorInfo; kernel: tf.TensorInfo; bias: tf.TensorInfo };
      const product = matMul(b, x, kernel, '');
      const biased = b.executeSingleOutput('BiasAdd', biasAttrs(b), [product, bias as tf.Tensor]);
      product.dispose();
      if ((attrs as { activation: Activation }).activation === 'linear') return biased;
      const activated = b.executeSingleOutput('Relu', [float32Attr(b)], [biased]);
      biased.dispose();
      return activated;
    },
  });
  tf.registerGradient({
    kernelName: KERNEL,
    inputsToSave: ['x', 'kernel'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, kernel, y] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const b = tensorflowKernelBackend()!;
      const relu = (attrs as unknown as { activation: Activation }).activation === 'relu';
      // Relu's output is positive exactly where its input is: ReluGrad may take either.
      const dz = relu ? b.executeSingleOutput('ReluGrad', [float32Attr(b)], [dy as tf.Tensor, y]) : (dy as tf.Tensor);
      return {
        x: () => matMul(b, dz, kernel, '.T'),
        kernel: () => matMul(b, x, dz, 'T.'),
        bias: () => b.executeSingleOutput('BiasAddGrad', biasAttrs(b), [dz]),
      };
    },
  });
}

/** x (a batch of rows) times the kernel, plus the bias, then the activation: one kernel call. */
export function tensorflowDense(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D, activation: Activation) {
  return tf.engine().runKernel(KERNEL, { x, kernel, bias }, { activation }) as tf.Tensor2D;
}

/** What tfjs-layers' Dense keeps, private in its typings (layers/core.d.ts). */
interface DenseFields {
  kernel: tf.LayerVariable;
  bias?: tf.LayerVariable;
  activation: { getClassName(): string };
}

/**
 * tfjs-layers' Dense (same weights, same config, same serialisation), computed by the one-kernel
 * path on native TensorFlow for rank-2 float inputs with a bias and a ReLU or no activation.
 */
export function dense(args: { units: number; name: string; activation?: Activation }): tf.layers.Layer {
  const layer = tf.layers.dense(args);
  const fields = layer as unknown as DenseFields;
  const standardCall: LayerCall = layer.call.bind(layer);
  const call: LayerCall = (inputs, kwargs) => {
    const input = Array.isArray(inputs) ? inputs[0]! : inputs;
    const activation = fields.activation.getClassName().toLowerCase();
    const native =
      tensorflowKernelBackend() !== undefined &&
      input.rank === 2 &&
      input.dtype === 'float32' &&
      fields.bias !== undefined &&
      (activation === 'relu' || activation === 'linear');
    if (!native) return standardCall(inputs, kwargs);
    return tensorflowDense(
      input as tf.Tensor2D,
      fields.kernel.read() as tf.Tensor2D,
      fields.bias!.read() as tf.Tensor1D,
      activation as Activation,
    );
  };
  layer.call = call;
  return layer;
}
