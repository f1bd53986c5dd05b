// Pretrained weights as the model consumes them, whatever file they came from.

/** How the network expects its input: pixel = (value·pixelScale − mean) / std per channel, in channelOrder. */
export interface InputConvention {
  channelOrder: 'RGB' | 'BGR';
  /** 1 for inputs in 0..1 (torchvision), 255 for 0..255 (Caffe). */
  pixelScale: number;
  mean: [number, number, number];
  std: [number, number, number];
}

export const CAFFE_INPUT: InputConvention = { channelOrder: 'BGR', pixelScale: 255, mean: [103.939, 116.779, 123.68], std: [1, 1, 1] };
export const TORCHVISION_INPUT: InputConvention = {
  channelOrder: 'RGB',
  pixelScale: 1,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

export interface WeightTensor {
  shape: number[];
  data: Float32Array;
}

export interface VggWeights {
  architecture: 'vgg19';
  /** conv1_1.weight [Cout, Cin, 3, 3], conv1_1.bias [Cout], ... in module order. */
  tensors: Map<string, WeightTensor>;
  input: InputConvention;
  /** Where the weights came from (source file, converter, notes). */
  provenance: Record<string, string>;
}
