// Entry: start the live stream and render the page.
import { render } from 'preact';
import './styles.css';
import { App } from './App.tsx';
import { connectLive } from './live.ts';

connectLive();
render(<App />, document.getElementById('app')!);
