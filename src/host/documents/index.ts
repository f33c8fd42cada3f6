export { DocumentService, type DocumentServiceOptions } from './service';
export { defaultDataDir, layoutPathFor, LAYOUT_SUFFIX } from './paths';
export { writeFileAtomic, TEMP_SUFFIX } from './atomic';
