import { createApp } from 'vue'
import '../common/base.css'
import './admin.css'
import Admin from './Admin.vue'

createApp(Admin).mount('#app')
