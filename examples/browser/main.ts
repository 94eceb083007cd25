// The browser demo: LeNet learns MNIST with the TrainingLoop, on WebGPU from navigator.gpu
// (or the CPU device where the browser has none). The page draws the loss and accuracy
// live, shows the progress, classifies test digits when training ends, and classifies what
// the user draws. `npm run demo` builds it and serves it with the MNIST files.
// URL parameters (used by the browser test): epochs, batchSize, trainingSize,
// validationSize, learningRate, device=cpu, autostart.

import { Adam, Device, LeNet, MNIST, type Tensor, type TrainingLoopState, TrainingLoop, TrainingLoopAction, argmax, softmax, softmaxCrossEntropy, tensor, tidy } from 'tensorloop';
import { LossChart } from './chart.js';
import { DigitPad } from './drawing.js';

const params = new URLSearchParams(location.search);
const number = (name: string, fallback: number): number => (params.has(name) ? Number(params.get(name)) : fallback);
const settings = {
  epochs: number('epochs', 3),
  batchSize: number('batchSize', 64),
  trainingSize: number('trainingSize', 12_000),
  validationSize: number('validationSize', 1000),
  learningRate: number('learningRate', 0.002),
};
const GRID_DIGITS = 40;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/** What the browser test reads: the phase, and the numbers shown. */
const demo = {
  status: 'loading' as 'loading' | 'ready' | 'training' | 'trained' | 'error',
  device: '',
  webgpu: false,
  trainingLosses: [] as number[],
  validationLosses: [] as number[],
  probabilities: null as number[] | null,
  gridMistakes: 0,
  error: '',
  chart: null as LossChart | null,
};
(window as unknown as { demo: typeof demo }).demo = demo;

function notice(text: string, error = false): void {
  const div = document.createElement('div');
  div.className = error ? 'notice error' : 'notice';
  div.textContent = text;
  $('notice').append(div);
}

async function pickDevice(): Promise<Device> {
  if (params.get('device') === 'cpu') {
    demo.device = 'cpu (chosen by ?device=cpu)';
    return Device.cpu;
  }
  try {
    const gpu = await Device.webgpu();
    const info = gpu.adapterInfo;
    demo.webgpu = true;
    demo.device = `${gpu.name} · adapter: ${[info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' / ') || 'unnamed'}`;
    return gpu;
  } catch (error) {
    notice(`WebGPU is not available in this browser, so the model trains on the CPU device (slower). ${(error as Error).message}`);
    demo.device = 'cpu (no WebGPU)';
    return Device.cpu;
  }
}

async function main(): Promise<void> {
  const device = await pickDevice();
  $('device').textContent = demo.device;
  const dataset = await MNIST.fetch('mnist/', { batchSize: settings.batchSize, device, trainingSize: settings.trainingSize, validationSize: settings.validationSize, seed: 1 });
  const model = new LeNet({ seed: 1, device });
  const optimizer = new Adam(model, { learningRate: settings.learningRate });
  const chart = new LossChart($('chart'));
  demo.chart = chart;

  let stopRequested = false;
  let samples = 0;
  let started = 0;
  const stat = (loop: TrainingLoopState, name: string): number => loop.lastStatsLog?.find((s) => s.name === name)?.value ?? NaN;
  const show = (loop: TrainingLoopState): void => {
    const rate = samples / Math.max(1e-3, (performance.now() - started) / 1000);
    $('progress').textContent =
      `epoch ${(loop.epochIndex ?? 0) + 1}/${loop.epochCount} · ${loop.isTraining ? 'training' : 'validation'} batch ${(loop.batchIndex ?? 0) + 1}/${loop.batchCount}` +
      ` · ${rate.toFixed(0)} samples/s\nloss ${stat(loop, 'loss').toFixed(4)} · accuracy ${stat(loop, 'accuracy').toFixed(4)} · step ${loop.globalStep + 1}`;
  };
  // the page's own callback: chart, progress and the stop button
  const display = {
    name: 'display',
    onBatchEnd(loop: TrainingLoopState): void {
      if (loop.isTraining) {
        samples += loop.lastStepInput?.shape[0] ?? 0;
        const loss = stat(loop, 'loss');
        demo.trainingLosses.push(loss);
        chart.add('trainingLoss', loop.globalStep + 1, loss);
        chart.add('trainingAccuracy', loop.globalStep + 1, stat(loop, 'accuracy'));
      }
      show(loop);
      if (stopRequested) throw TrainingLoopAction.cancelFit;
    },
    onValidationEnd(loop: TrainingLoopState): void {
      demo.validationLosses.push(stat(loop, 'loss'));
      chart.add('validationLoss', loop.globalStep, stat(loop, 'loss'));
      chart.add('validationAccuracy', loop.globalStep, stat(loop, 'accuracy'));
    },
  };
  const loop = new TrainingLoop({
    training: dataset.training,
    validation: dataset.validation,
    optimizer,
    lossFunction: softmaxCrossEntropy,
    metrics: ['accuracy'],
    callbacks: [display],
  });

  const start = $<HTMLButtonElement>('start');
  const stop = $<HTMLButtonElement>('stop');
  const train = async (): Promise<void> => {
    start.disabled = true;
    stop.disabled = false;
    stopRequested = false;
    demo.status = 'training';
    samples = 0;
    started = performance.now();
    try {
      await loop.fit(model, { epochs: settings.epochs, device });
      $('progress').textContent += stopRequested ? '\nstopped' : '\ndone';
      await showTestDigits(model, dataset);
      demo.status = 'trained';
    } catch (error) {
      fail(error);
    } finally {
      start.disabled = false;
      start.textContent = 'Train more';
      stop.disabled = true;
    }
  };
  start.onclick = () => void train();
  stop.onclick = () => {
    stopRequested = true;
  };

  // the drawing pad: class probabilities of what is drawn, live
  const pad = new DigitPad($('pad'), () => void classifyDrawing());
  let classifying = false;
  let again = false;
  async function classifyDrawing(): Promise<void> {
    if (classifying) {
      again = true; // one more pass once this one ends, for the latest strokes
      return;
    }
    classifying = true;
    try {
      const pixels = pad.toMnist();
      if (!pixels) {
        demo.probabilities = null;
        drawBars(null);
        return;
      }
      const probabilities = tidy(() => softmax(model.forward(tensor(pixels, { shape: [1, 28, 28, 1], device }))));
      try {
        demo.probabilities = Array.from(await probabilities.data());
      } finally {
        probabilities.dispose();
      }
      drawBars(demo.probabilities);
    } catch (error) {
      fail(error);
    } finally {
      classifying = false;
      if (again) {
        again = false;
        void classifyDrawing();
      }
    }
  }
  $('clear').onclick = (event) => {
    event.preventDefault();
    pad.clear();
    void classifyDrawing();
  };
  drawBars(null);

  demo.status = 'ready';
  start.disabled = false;
  $('progress').textContent = `ready: ${dataset.trainingSamples.count} training and ${dataset.validationSamples.count} test images, batches of ${settings.batchSize}`;
  if (params.has('autostart')) void train();
}

function drawBars(probabilities: number[] | null): void {
  const best = probabilities ? probabilities.indexOf(Math.max(...probabilities)) : -1;
  $('bars').innerHTML = Array.from({ length: 10 }, (_, digit) => {
    const p = probabilities?.[digit] ?? 0;
    return `<span>${digit}</span><div class="bar${digit === best ? ' top' : ''}" style="width:${(p * 160).toFixed(1)}px"></div><span>${probabilities ? (p * 100).toFixed(1) + '%' : ''}</span>`;
  }).join('');
}

/** The first test digits with the model's predictions; mistakes marked. */
async function showTestDigits(model: LeNet, dataset: MNIST): Promise<void> {
  const samples = dataset.validationSamples;
  const count = Math.min(GRID_DIGITS, samples.count);
  const indices = Array.from({ length: count }, (_, i) => i);
  const batch = samples.makeBatch(indices);
  model.eval();
  let predicted: Tensor;
  try {
    predicted = tidy(() => argmax(model.forward(batch.data), -1));
  } finally {
    model.train();
  }
  const labels = Array.from(await predicted.data());
  const truth = Array.from(await batch.label.data());
  predicted.dispose();
  batch.data.dispose();
  batch.label.dispose();
  const grid = $('grid');
  grid.innerHTML = '';
  demo.gridMistakes = 0;
  for (let i = 0; i < count; i++) {
    const cell = document.createElement('div');
    const wrong = labels[i] !== truth[i];
    if (wrong) demo.gridMistakes++;
    cell.className = wrong ? 'digit wrong' : 'digit';
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 28;
    const image = new ImageData(28, 28);
    for (let p = 0; p < 784; p++) {
      const v = 255 - samples.pixels[i * 784 + p]!;
      image.data.set([v, v, v, 255], p * 4);
    }
    canvas.getContext('2d')!.putImageData(image, 0, 0);
    const caption = document.createElement('div');
    caption.textContent = wrong ? `${labels[i]} (${truth[i]})` : `${labels[i]}`;
    cell.append(canvas, caption);
    grid.append(cell);
  }
}

function fail(error: unknown): void {
  demo.status = 'error';
  demo.error = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
  notice(`Error: ${error instanceof Error ? error.message : String(error)}`, true);
  console.error(error);
}

main().catch(fail);
