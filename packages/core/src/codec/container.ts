/**
 * The one place tsyringe is loaded. tsyringe needs the Reflect metadata
 * polyfill installed before its own module runs, and ES modules run their
 * imports in order, so importing tsyringe from here (and nowhere else) is
 * what guarantees it. This module has a side effect on purpose: it is listed
 * in package.json's `sideEffects`.
 */
import 'reflect-metadata';

export { container as rootContainer, type DependencyContainer, type InjectionToken } from 'tsyringe';
