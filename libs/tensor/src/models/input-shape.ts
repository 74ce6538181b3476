export interface InputShape {
  height: number;
  width: number;
  channels: number;
}
