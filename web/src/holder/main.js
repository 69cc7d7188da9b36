import { createApp } from 'vue'
import '../common/base.css'
import App from './App.vue'

createApp(App).mount('#app')
