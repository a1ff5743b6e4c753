/** The chip families Nyala knows, by the names the catalog and the flasher use. */
export type ChipFamily = 'esp8266' | 'esp32' | 'esp32s2' | 'esp32s3' | 'esp32c3';
