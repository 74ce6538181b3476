export { unpickle, PickleError, GlobalRef, type PyValue, type PyDict, type PyGlobal, type PyObject } from './pickle';
export { readTorchCheckpoint, CheckpointError, type TorchTensor, type TorchDtype } from './torch-checkpoint';
export { stateDictOf, type StateDict } from './state-dict';
export { importTorchvisionResnet, torchvisionKeyOf, type ImportedWeights } from './torchvision-import';
export { torchStateDictFile } from './torch-save';
