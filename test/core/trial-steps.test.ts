import { describe, expect, it } from 'vitest';
import { StepClock } from '../../core/trial-steps.js';

describe('StepClock', () => {
  it('charges the time since the previous lap to each step, in seconds', () => {
    let now = 1000;
    const clock = new StepClock(() => now);
    now += 100;
    clock.lap('baselineS');
    now += 250;
    clock.lap('servicesStartS');
    expect(clock.steps).toEqual({ baselineS: 0.1, servicesStartS: 0.25 });
  });

  it('adds a repeated step, skips time charged elsewhere and never goes negative', () => {
    let now = 0;
    const clock = new StepClock(() => now);
    now = 500;
    clock.lap('parseS');
    now = 4500;
    clock.set('toolS', 4);
    clock.skip();
    now = 4600;
    clock.lap('parseS');
    clock.set('toolExitS', -0.002);
    expect(clock.steps).toEqual({ parseS: 0.6, toolS: 4, toolExitS: 0 });
  });
});
